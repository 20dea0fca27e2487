"""Command-line tasks: `flask demo-data`, `flask setup-db`."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from marketplace.catalog import cache as catalog_cache
from marketplace.extensions import db
from marketplace.models import User


@click.command("demo-data")
@click.option("--producers", default=300, show_default=True, help="How many producers.")
@click.option("--listings", default=400, show_default=True, help="How many listings.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
def demo_data_command(producers: int, listings: int, seed: int, if_empty: bool) -> None:
    """Build a believable demo world (idempotent for a given seed)."""
    from marketplace.demo import build_world

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has data; demo data not loaded.")
        return
    summary = build_world(producers=producers, seed=seed, echo=click.echo, listings=listings)
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
