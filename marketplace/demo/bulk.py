"""Fast writes for large generated data: reserved primary keys and chunked bulk inserts.

Primary keys are reserved before inserting, so foreign keys can be filled in without a round
trip per row: on PostgreSQL from the table's own sequence (safe next to other writers), on
SQLite as max(id) + 1 onwards (the caller holds the write transaction). Rows then go in
with COPY on PostgreSQL and executemany elsewhere, in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import numpy as np
from sqlalchemy import JSON, Connection, Table, Text, bindparam, func, insert, select, text

from marketplace.extensions import db

CHUNK_ROWS = 5_000


def reserve_ids(model: type, n: int) -> np.ndarray:
    """`n` fresh primary keys for `model`'s table, ascending."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    table = model.__table__
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        name = bind.dialect.identifier_preparer.format_table(table)
        sequence = db.session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": name}
        )
        if sequence:
            ids = db.session.scalars(
                text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"),
                {"seq": sequence, "n": n},
            ).all()
            return np.sort(np.asarray(ids, dtype=np.int64))
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return np.arange(start, start + n, dtype=np.int64)


def resolve(ids: np.ndarray, local: np.ndarray) -> list[int | None]:
    """Map local row numbers to reserved ids; a negative number means no row (None)."""
    local = np.asarray(local, dtype=np.int64)
    found = ids[np.where(local < 0, 0, local)] if len(ids) else np.zeros(len(local), np.int64)
    return [v if k >= 0 else None for v, k in zip(found.tolist(), local.tolist(), strict=True)]


def insert_columns(model: type, columns: dict[str, Sequence], chunk: int = CHUNK_ROWS) -> int:
    """Insert rows given column-wise (equal-length lists or arrays) in chunks; return count.

    JSON values are serialised here, and None stored as SQL NULL (not JSON 'null'), so
    ``column.is_(None)`` finds them. PostgreSQL gets COPY; SQLite the driver's executemany
    with values converted by the columns' own bind processors; others SQLAlchemy's executemany.
    """
    keys = list(columns)
    if not keys:
        return 0
    n = len(columns[keys[0]])
    table = model.__table__
    json_keys = {key for key in keys if isinstance(table.c[key].type, JSON)}
    connection = db.session.connection()
    chunks = _chunks(columns, keys, json_keys, n, chunk)
    if connection.dialect.name == "postgresql":
        _copy(connection, table, keys, chunks)
        return n
    if connection.dialect.paramstyle == "qmark":
        _driver_executemany(connection, table, keys, json_keys, chunks)
        return n
    statement = insert(table)
    if json_keys:  # already serialised: bind them as plain text
        statement = statement.values({key: bindparam(key, type_=Text()) for key in json_keys})
    for parts in chunks:
        rows = [dict(zip(keys, values, strict=True)) for values in zip(*parts, strict=True)]
        connection.execute(statement, rows)
    return n


def _chunks(
    columns: dict[str, Sequence], keys: list[str], json_keys: set[str], n: int, chunk: int
) -> Iterator[list[list]]:
    """Column slices of `chunk` rows as plain Python lists, JSON already serialised."""
    for start in range(0, n, chunk):
        parts = []
        for key in keys:
            part = columns[key][start : start + chunk]
            part = part.tolist() if isinstance(part, np.ndarray) else list(part)
            if key in json_keys:
                part = [None if value is None else json.dumps(value) for value in part]
            parts.append(part)
        yield parts


def _driver_executemany(
    connection: Connection, table: Table, keys: list[str], json_keys: set[str], chunks: Iterator
) -> None:
    """INSERT through the DB-API cursor, skipping SQLAlchemy's per-row parameter handling."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer
    processors = [
        None
        if key in json_keys
        else table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        for key in keys
    ]
    names = ", ".join(quote.quote(key) for key in keys)
    marks = ", ".join("?" * len(keys))
    sql = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})"
    for parts in chunks:
        converted = [
            part if process is None else [process(value) for value in part]
            for part, process in zip(parts, processors, strict=True)
        ]
        connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def _copy(connection: Connection, table: Table, keys: list[str], chunks: Iterator) -> None:
    """Stream rows into PostgreSQL with COPY on the session's own connection."""
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.quote(key) for key in keys)
    sql = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for parts in chunks:
            for row in zip(*parts, strict=True):
                copy.write_row(row)


def insert_rows(model: type, rows: list[dict]) -> int:
    """Insert a few rows given as dicts (all with the same keys)."""
    if rows:
        db.session.execute(insert(model.__table__), rows)
    return len(rows)
