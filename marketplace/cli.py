"""Command-line tasks: `flask demo-data`, `flask setup-db`, `flask matching run|worker`."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from marketplace.catalog import cache as catalog_cache
from marketplace.extensions import db
from marketplace.models import User


@click.command("demo-data")
@click.option("--producers", type=int, help="How many producers (default: 5,000).")
@click.option("--listings", default=400, show_default=True, help="How many listings.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
@click.option(
    "--matching/--no-matching", default=True, show_default=True, help="Run the matching after."
)
def demo_data_command(
    producers: int | None, listings: int, seed: int, if_empty: bool, matching: bool
) -> None:
    """Build a believable demo world (idempotent for a given seed)."""
    from marketplace.demo import DEFAULT_PRODUCERS, build_world

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has data; demo data not loaded.")
        return
    if producers is None:
        producers = DEFAULT_PRODUCERS
    summary = build_world(
        producers=producers, seed=seed, echo=click.echo, listings=listings, matching=matching
    )
    catalog_cache.changed()  # servers of this host running on this database show it at once
    click.echo(summary)


@click.command("setup-db")
def setup_db_command() -> None:
    """Apply every Alembic migration (creates the SQLite file under instance/ if needed)."""
    upgrade()


def register_cli(app: Flask) -> None:
    """Attach Minka's commands to the `flask` CLI."""
    app.cli.add_command(demo_data_command)
    app.cli.add_command(setup_db_command)
    app.cli.add_command(matching_group)


@click.group("matching")
def matching_group() -> None:
    """Credit matching runs."""


@matching_group.command("run")
def matching_run_command() -> None:
    """Run the matching now, in this process, and print its figures."""
    from marketplace.credit import runs
    from marketplace.errors import DomainError

    try:
        run = runs.start_run(None, backend="cli")
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    last = [""]

    def show(stage: str) -> None:
        if stage != last[0]:
            click.echo(f"  {stage}")
            last[0] = stage

    started = time.perf_counter()
    run = runs.execute(run.id, on_progress=show)
    if run.status != "succeeded":
        raise click.ClickException(f"run {run.id} failed: {run.error}")
    click.echo("\n".join(runs.run_summary(run, time.perf_counter() - started)))


@matching_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def matching_worker_command(burst: bool) -> None:
    """Work the matching queue on MINKA_REDIS_URL (RQ), inside the app."""
    from flask import current_app
    from rq import Queue, SimpleWorker

    from marketplace.credit import runs

    url = current_app.config.get("MINKA_REDIS_URL")
    if not url:
        raise click.ClickException("MINKA_REDIS_URL is not set: runs use a thread of the app.")
    connection = runs.redis_connection(url)
    # SimpleWorker runs jobs in this process, inside this app context
    worker = SimpleWorker([Queue(runs.QUEUE_NAME, connection=connection)], connection=connection)
    worker.work(burst=burst)
