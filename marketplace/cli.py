"""Command-line tasks: `flask demo-data`, `flask setup-db`, `flask worker`, `flask matching
run`, `flask sms ...`, `flask money ...`, `flask forest ...`."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from marketplace.catalog import cache as catalog_cache
from marketplace.extensions import db
from marketplace.models import RunBackend, RunStatus, User


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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(burst: bool) -> None:
    """Work Minka's RQ queues on MINKA_REDIS_URL (matching runs, the SMS outbox), inside the
    app."""
    from flask import current_app
    from redis import Redis
    from rq import Queue, SimpleWorker

    from marketplace.credit import runs
    from marketplace.sms import outbox

    url = current_app.config.get("MINKA_REDIS_URL")
    if not url:
        raise click.ClickException(
            "MINKA_REDIS_URL is not set: without Redis, matching runs and text messages go "
            "from a thread of the web process and need no worker."
        )
    connection = Redis.from_url(url)
    queues = [Queue(name, connection=connection) for name in (runs.QUEUE_NAME, outbox.QUEUE_NAME)]
    # SimpleWorker runs jobs in this process, inside this app context
    SimpleWorker(queues, connection=connection).work(burst=burst)


def register_cli(app: Flask) -> None:
    """Attach Minka's commands to the `flask` CLI."""
    app.cli.add_command(demo_data_command)
    app.cli.add_command(setup_db_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(matching_group)
    app.cli.add_command(forest_group)
    app.cli.add_command(money_group)
    app.cli.add_command(sms_group)


@click.group("sms")
def sms_group() -> None:
    """Text messages (SMS, WhatsApp) to producers who opted in."""


@sms_group.command("send")
def sms_send_command() -> None:
    """Send the queued messages that are due (failed ones are tried again later)."""
    from marketplace.sms import outbox, provider

    if not provider.configured():
        raise click.ClickException("SMS is not configured: set MINKA_SMS_ACCOUNT_SID, ...")
    sent, failed = outbox.drain(limit=10_000)
    click.echo(f"{sent} sent, {failed} not sent")


@sms_group.command("reminders")
def sms_reminders_command() -> None:
    """Queue today's instalment reminders (due in 3 days, overdue) and send them; running it
    twice a day sends each once."""
    from marketplace.sms import outbox, provider, reminders

    if not provider.configured():
        raise click.ClickException("SMS is not configured: set MINKA_SMS_ACCOUNT_SID, ...")
    # sent here, not from a thread that the command's exit would cut short
    queued = reminders.queue_reminders(send_after_commit=False)
    sent, failed = outbox.drain(limit=10_000)
    click.echo(f"{queued} reminders queued; {sent} sent, {failed} not sent")


@click.group("money")
def money_group() -> None:
    """Stored amounts and Minka's currency table."""


@money_group.command("rescale")
@click.argument("currency")
@click.option(
    "--from-decimals",
    type=int,
    required=True,
    help="Decimals the amounts were written with (0 for COP written under Babel 2.19).",
)
@click.option("--apply", is_flag=True, help="Change the database (without it: only count).")
def money_rescale_command(currency: str, from_decimals: int, apply: bool) -> None:
    """Bring a currency's stored amounts to Minka's minor units (ISO 4217), once."""
    from marketplace import currencies, rescale
    from marketplace.errors import DomainError

    try:
        code = currencies.get(currency).code
    except currencies.UnknownCurrency as exc:
        raise click.ClickException(str(exc)) from None
    factor = 10 ** (currencies.minor_units(code) - from_decimals)
    if not apply:
        for table, rows in rescale.rows_to_rescale(code).items():
            click.echo(f"  {table}: {rows} rows")
        click.echo(f"Dry run: with --apply every {code} amount above is multiplied by {factor}.")
        return
    try:
        changed = rescale.rescale(code, from_decimals)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from None
    for table, rows in changed.items():
        click.echo(f"  {table}: {rows} rows")
    catalog_cache.changed()
    click.echo(f"{code} amounts multiplied by {factor}. Run `flask matching run` for new offers.")


@click.group("matching")
def matching_group() -> None:
    """Credit matching runs."""


@matching_group.command("run")
def matching_run_command() -> None:
    """Run the matching now, in this process, and print its figures."""
    from marketplace.credit import runs
    from marketplace.errors import DomainError

    try:
        run = runs.start_run(None, backend=RunBackend.CLI)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    last = [""]

    def show(stage: str) -> None:
        if stage != last[0]:
            click.echo(f"  {stage}")
            last[0] = stage

    started = time.perf_counter()
    run = runs.execute(run.id, on_progress=show)
    if run.status != RunStatus.SUCCEEDED:
        raise click.ClickException(f"run {run.id} failed: {run.error}")
    click.echo("\n".join(runs.run_summary(run, time.perf_counter() - started)))


@click.group("forest")
def forest_group() -> None:
    """Forest-change layers and the deforestation risk of plots."""


@forest_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name", help="A name for the layer (default: the file name).")
@click.option(
    "--kind",
    type=click.Choice(
        ["vector", "loss_year", "tree_cover_2000", "forest_2020", "commodity", "alerts"]
        + ["protected_area", "indigenous_territory"]
    ),
    help="What the layer holds; required for a GeoTIFF and for a legal layer (protected areas, "
    "indigenous territories), never guessed. Default: vector.",
)
@click.option(
    "--version", "version", default="", help="The product's version, e.g. GFC-2024-v1.12."
)
@click.option("--name-field", help="Legal layers: the property with each area's name.")
@click.option("--category-field", default="", help="Legal layers: the category's property.")
@click.option("--iucn-field", default="", help="Legal layers: the IUCN category's property.")
@click.option("--designation-field", default="", help="Legal layers: the designation's property.")
def forest_import_command(
    path: str,
    name: str | None,
    kind: str | None,
    version: str,
    name_field: str | None,
    category_field: str,
    iucn_field: str,
    designation_field: str,
) -> None:
    """Load a GeoJSON of loss/forest polygons or of named protected areas or indigenous
    territories, or register a GeoTIFF of a declared content (read by window per plot, never
    copied into the database), then re-assess farms."""
    from marketplace.errors import DomainError
    from marketplace.forest import layers

    started = time.perf_counter()
    fields = None
    if name_field is not None or category_field or iucn_field or designation_field:
        fields = layers.LegalFields(name_field or "", category_field, iucn_field, designation_field)
    try:
        layer = layers.import_layer(path, name=name, kind=kind, version=version, fields=fields)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Layer {layer.id} ({layer.content or layer.kind}) imported; farms re-assessed")
    click.echo(f"  in {time.perf_counter() - started:.1f} s")
    _echo_risk_counts()


@forest_group.command("list")
def forest_list_command() -> None:
    """List the layers with their number of areas and loss years."""
    from marketplace.forest import layers

    summaries = layers.layer_summaries()
    if not summaries:
        click.echo("No forest layers.")
    for layer, n, first, last in summaries:
        state = "active" if layer.active else "inactive"
        if layer.kind == "legal":
            click.echo(f"{layer.id}\t{layer.name}\t{layer.content}\t{n} areas\t{state}")
            continue
        if layer.content:
            size = f"{layer.width}x{layer.height} px of {layer.pixel_deg:g}°"
            click.echo(f"{layer.id}\t{layer.name}\t{layer.content}\t{size}\t{state}")
            continue
        years = f"loss {first}-{last}" if first is not None else "no loss years"
        click.echo(f"{layer.id}\t{layer.name}\t{layer.kind}\t{n} areas\t{years}\t{state}")


@forest_group.command("remove")
@click.argument("layer_id", type=int)
def forest_remove_command(layer_id: int) -> None:
    """Delete a layer and its areas, then re-assess farms."""
    from marketplace.errors import DomainError
    from marketplace.forest import layers

    try:
        layer = layers.remove_layer(layer_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Layer {layer_id} ({layer.name}) removed; farms re-assessed")
    _echo_risk_counts()


@forest_group.command("share")
def forest_share_command() -> None:
    """Copy this host's raster files into the file store (MINKA_FILE_STORAGE), once, when
    several hosts start to share one: the other hosts fetch them from there."""
    from marketplace.forest import layers

    copied, missing = layers.share_rasters()
    click.echo(f"{copied} raster files in the file store")
    for layer in missing:
        click.echo(f"  not on this host (or changed): layer {layer}; share it from its host")


@forest_group.command("assess")
def forest_assess_command() -> None:
    """Detect the overlaps between plots of different producers and re-assess the
    deforestation risk and legality overlaps of every farm."""
    from marketplace.forest import risk
    from marketplace.forest.rasters import RasterUnavailable

    started = time.perf_counter()
    try:
        counts = risk.assess_all()
    except RasterUnavailable as error:
        raise click.ClickException(
            f"layer {error.layer}: {error}. Nothing was changed; run `flask forest share` "
            "on the host that imported it, then assess again."
        ) from None
    click.echo(f"{sum(counts.values()):,} farms assessed in {time.perf_counter() - started:.1f} s")
    _echo_risk_counts(counts)


def _echo_risk_counts(counts: dict[str, int] | None = None) -> None:
    from marketplace.forest import risk

    for status, n in sorted((counts or risk.status_counts()).items()):
        click.echo(f"  {status}: {n:,}")
