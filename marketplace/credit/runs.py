"""Matching runs: start one (a thread, or an RQ worker on Redis), feed the matching library
from the database, store what it returns, and keep the run's progress and figures.

The pipeline runs once per country: each country has its own currency, prices and costs
(COUNTRY_ECONOMICS), and agronomists build typologies per region anyway. Results are written
in one transaction at the end, so a failed run leaves the previous results in place.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import asdict, dataclass, replace
from datetime import timedelta

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.credit import harvests
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.frames import loan_stages, outcome_frame, producer_frame, products_for
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    Cluster,
    CreditProduct,
    Farm,
    Match,
    MatchingRun,
    MatchStatus,
    RunBackend,
    RunStatus,
    User,
    ValueChain,
)
from marketplace.models.base import utcnow
from matching.types import MatchParams, MatchResult

QUEUE_NAME = "minka-matching"
# Producers' assessments are kept for this many successful runs (a row per producer per run);
# older ones only where a lender decided on their group.
KEEP_ASSESSMENTS_RUNS = 5
# A run that has given no sign of life for this long was interrupted (process killed).
STALE_AFTER = timedelta(minutes=10)
RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)


# --- starting a run ---------------------------------------------------------------------


def running_run() -> MatchingRun | None:
    """The run queued or in progress, if any."""
    return db.session.scalar(select(MatchingRun).where(MatchingRun.active_slot.is_not(None)))


def _latest(*columns):
    return (
        select(*columns)
        .where(MatchingRun.status == RunStatus.SUCCEEDED)
        .order_by(MatchingRun.id.desc())
        .limit(1)
    )


def latest_run() -> MatchingRun | None:
    """The latest run that succeeded: the one whose results are shown."""
    return db.session.scalar(_latest(MatchingRun))


def latest_run_id_query():
    """The latest succeeded run's id as a subquery, for a query to read it itself (NULL when
    there is none), without reading (and decoding) the run's metrics."""
    return _latest(MatchingRun.id).scalar_subquery()


def _expire_stale() -> None:
    """Mark a run that stopped giving signs of life as failed, freeing the slot."""
    run = running_run()
    if run is None:
        return
    last = run.heartbeat_at or run.created_at
    if utcnow() - last > STALE_AFTER:
        _finish(run, RunStatus.FAILED, error="interrupted: no sign of life for 10 minutes")
        db.session.commit()


def start_run(actor: User | None, backend: str | None = None) -> MatchingRun:
    """Queue a run (one at a time) and hand it to the worker; the caller does not wait."""
    _expire_stale()
    if backend is None:
        backend = RunBackend.RQ if current_app.config.get("MINKA_REDIS_URL") else RunBackend.THREAD
    run = MatchingRun(
        active_slot=1,
        backend=backend,
        started_by_id=actor.id if actor is not None else None,
        params=_params_record(),
        heartbeat_at=utcnow(),
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(
            _l("Ya hay una corrida en curso; espere a que termine para iniciar otra.")
        ) from None
    audit.record(actor, "matching_run.started", run, backend=backend)
    db.session.commit()
    if backend == RunBackend.RQ:
        _enqueue(run.id)
    elif backend == RunBackend.THREAD:
        _start_thread(run.id)
    return run


def _params_record() -> dict:
    params = asdict(base_params())
    params.pop("input_cost_per_ha")
    params.pop("price_per_kg")
    return params


def base_params() -> MatchParams:
    return MatchParams(min_productive_ha=current_app.config["MINKA_MATCHING_MIN_HA"])


def _start_thread(run_id: int) -> None:
    app = current_app._get_current_object()

    def work() -> None:
        with app.app_context():
            execute(run_id)

    threading.Thread(target=work, name=f"matching-run-{run_id}", daemon=True).start()


def redis_connection(url: str | None = None):
    from redis import Redis

    return Redis.from_url(url or current_app.config["MINKA_REDIS_URL"])


def _enqueue(run_id: int) -> None:
    from rq import Queue

    queue = Queue(QUEUE_NAME, connection=redis_connection())
    queue.enqueue(run_job, run_id, job_timeout=3600, failure_ttl=7 * 24 * 3600)


def run_job(run_id: int) -> None:
    """The RQ job: runs in the worker, `flask worker`, which works the queue inside the app
    (a bare `rq worker` has no app and is refused)."""
    if not has_app_context():
        raise RuntimeError("Run matching jobs with `flask worker`, not `rq worker`.")
    execute(run_id)


# --- executing a run --------------------------------------------------------------------


def execute(run_id: int, on_progress=None) -> MatchingRun:
    """Run the pipeline for every country, store the results, record figures or the error.

    `on_progress(stage)` is called at each stage (the command line prints them)."""
    run = db.session.get(MatchingRun, run_id)
    if run is None or run.status != RunStatus.QUEUED:
        return run
    run.status = RunStatus.RUNNING
    run.started_at = run.heartbeat_at = utcnow()
    db.session.commit()
    try:
        results = _run_countries(run, on_progress)
        _store(run, results)
        _finish(run, RunStatus.SUCCEEDED)
        audit.record(None, "matching_run.succeeded", run, **_summary(run.metrics))
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run
        db.session.rollback()
        current_app.logger.exception("matching run %s failed", run_id)
        run = db.session.get(MatchingRun, run_id)
        _finish(run, RunStatus.FAILED, error=_error_text(exc))
        audit.record(None, "matching_run.failed", run, error=run.error[:200])
        db.session.commit()
    return run


def _error_text(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"[:2000]


def _finish(run: MatchingRun, status: RunStatus, error: str | None = None) -> None:
    run.status = status
    run.active_slot = None
    run.finished_at = utcnow()
    run.error = error
    if status == RunStatus.SUCCEEDED:
        run.progress, run.stage = 1.0, "done"


@dataclass
class CountryResult:
    country: str
    currency: str
    frame: pd.DataFrame  # the producers as given to the library (with farm_id)
    result: MatchResult


def _countries() -> list[str]:
    rows = db.session.scalars(select(Farm.country).distinct().order_by(Farm.country))
    return [c for c in rows if c in COUNTRY_ECONOMICS]


def _run_countries(run: MatchingRun, on_progress=None) -> list[CountryResult]:
    countries = _countries()
    previous = latest_run()
    results: list[CountryResult] = []
    for i, country in enumerate(countries):
        eco = COUNTRY_ECONOMICS[country]
        params = replace(
            base_params(),
            input_cost_per_ha=eco.input_cost_per_ha_minor,
            price_per_kg=eco.price_per_kg_minor,
            harvest_months={c.value: harvests.months_for(country, c.value) for c in ValueChain},
        )
        frame = producer_frame(country)
        products = products_for(country)
        outcomes = outcome_frame(country)
        outcomes = outcomes[outcomes["producer_id"].isin(frame["producer_id"])]
        prior = (previous.state or {}).get(country) if previous is not None else None

        def progress(stage: str, fraction: float, i: int = i, country: str = country) -> None:
            _beat(run, f"{country}:{stage}", (i + fraction) / len(countries) * 0.95)
            if on_progress is not None:
                on_progress(run.stage)

        result = _pipeline().run(
            frame, products, outcomes, params=params, progress=progress, previous=prior
        )
        result.metrics["fairness"] = [*result.metrics.get("fairness", []), *_loan_funnel(frame)]
        results.append(CountryResult(country, eco.currency, frame, result))
    return results


def _loan_funnel(frame: pd.DataFrame) -> list[dict]:
    """Fairness after the matching, from the loan records: approved for a loan (of all
    producers), latest closed loan repaid on time (of those with a closed loan)."""
    from matching.fairness import stage_table

    approved, closed, repaid = loan_stages(frame)
    everyone = np.ones(len(frame), dtype=bool)
    stages = [("approved", approved, everyone), ("repaid", repaid, closed)]
    return stage_table(frame["gender"], frame["productive_ha"], stages)


def _pipeline():
    """The matching pipeline, imported on first use: scikit-learn takes ~2 s to load, which
    web processes that never run the matching should not pay at start."""
    from matching import pipeline

    return pipeline


def _beat(run: MatchingRun, stage: str, progress: float) -> None:
    """Record progress in its own short transaction, so a page polling sees it at once."""
    run.stage, run.progress, run.heartbeat_at = stage, round(progress, 4), utcnow()
    db.session.commit()


# --- storing the results ----------------------------------------------------------------


def _store(run: MatchingRun, results: list[CountryResult]) -> None:
    """Write clusters, assessments and matches; retire the matches no one decided on."""
    _beat(run, "saving", 0.96)
    db.session.execute(
        update(Match)
        .where(Match.status == MatchStatus.PROPOSED)
        .values(status=MatchStatus.SUPERSEDED)
    )
    for country in results:
        cluster_ids = _store_clusters(run, country)
        _store_assessments(run, country, cluster_ids)
        _store_matches(run, country, cluster_ids)
    run.metrics = _metrics(results)
    run.state = {c.country: c.result.state for c in results}
    _prune_assessments(run)


def _prune_assessments(run: MatchingRun) -> None:
    """Drop assessments of old runs, except members of groups a lender decided on."""
    kept_runs = (
        select(MatchingRun.id)
        .where(MatchingRun.status == RunStatus.SUCCEEDED, MatchingRun.id != run.id)
        .order_by(MatchingRun.id.desc())
        .limit(KEEP_ASSESSMENTS_RUNS - 1)
    )
    kept = [run.id, *db.session.scalars(kept_runs)]
    decided = select(Match.cluster_id).where(
        Match.status.in_((MatchStatus.APPROVED, MatchStatus.DECLINED, MatchStatus.INFO_REQUESTED))
    )
    db.session.execute(
        delete(Assessment).where(
            Assessment.run_id.not_in(kept),
            or_(Assessment.cluster_id.is_(None), Assessment.cluster_id.not_in(decided)),
        )
    )


TENTHS = 10
#: where each tenth of readiness starts (the first at 0): a member is counted in the last
#: tenth whose start she reaches, so 1.0 counts in the tenth of 90-100 %
TENTH_STARTS = [i / TENTHS for i in range(1, TENTHS)]


def readiness_tenths(readiness: np.ndarray) -> list[int]:
    """How many of `readiness` fall in each tenth (0-10 %, ..., 90-100 %)."""
    which = np.searchsorted(TENTH_STARTS, readiness, side="right")
    return np.bincount(which, minlength=TENTHS).tolist()


def _group_tenths(country: CountryResult) -> dict[int, list[int]]:
    """Each group's members per tenth of readiness."""
    members = country.result.producers
    members = members[members["group_id"] >= 0]
    return {
        int(group): readiness_tenths(part["readiness"].to_numpy(float))
        for group, part in members.groupby("group_id")
    }


def _store_clusters(run: MatchingRun, country: CountryResult) -> dict[int, int]:
    """Clusters of one country; returns the library's group id -> Cluster.id."""
    groups = country.result.groups
    tenths = _group_tenths(country)
    clusters = [
        Cluster(
            run_id=run.id,
            code=f"{country.country}-{int(g.group_id) + 1}",
            country=country.country,
            value_chain=str(g.value_chain),
            district_code=str(g.district_code),
            size=int(g.size),
            lat=float(g.lat),
            lon=float(g.lon),
            total_ha=float(g.total_ha),
            expected_kg=float(g.expected_kg),
            pledged_share=float(g.pledged_share),
            readiness_mean=float(g.readiness_mean),
            readiness_min=float(g.readiness_min),
            requested_minor=int(g.requested_minor),
            currency=country.currency,
            archetype=str(g.archetype),
            cooperative_id=_cooperative(getattr(g, "cooperative_id", -1)),
            readiness_tenths=tenths.get(int(g.group_id)),
        )
        for g in groups.itertuples(index=False)
    ]
    db.session.add_all(clusters)
    db.session.flush()
    return {int(g): c.id for g, c in zip(groups["group_id"], clusters, strict=True)}


def _cooperative(value) -> int | None:
    """A group's cooperative id as stored (None: none, a solidarity group)."""
    return int(value) if pd.notna(value) and value >= 0 else None


def _store_assessments(run: MatchingRun, country: CountryResult, cluster_ids: dict) -> None:
    out = country.result.producers
    frame = country.frame.set_index("producer_id").reindex(out["producer_id"])
    expected = (frame["productive_ha"] * frame["yield_kg_ha"]).fillna(0.0).to_numpy()
    rows = [
        {
            "run_id": run.id,
            "producer_id": int(pid),
            "farm_id": int(farm),
            "eligible": bool(eligible),
            "reasons": list(reasons),
            "archetype": str(archetype),
            "cluster_id": cluster_ids.get(int(gid)),
            "readiness": float(ready),
            "explanation": [list(item) for item in explanation],
            # a member of a financed group asks what her group's product finances her
            "requested_minor": int(financed) if financed > 0 else int(requested),
            "currency": country.currency,
            "productive_ha": float(ha),
            "expected_kg": float(kg),
            "pledged_kg": float(pledged),
        }
        for pid, farm, eligible, reasons, archetype, gid, ready, explanation, requested,
        financed, ha, kg, pledged in zip(
            out["producer_id"], frame["farm_id"], out["eligible"], out["reasons"],
            out["archetype"], out["group_id"], out["readiness"], out["explanation"],
            out["requested_minor"], out["financed_minor"], frame["productive_ha"], expected,
            frame["pledged_kg"], strict=True,
        )
    ]  # fmt: skip
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(Assessment), rows[start : start + 5_000])


def _store_matches(run: MatchingRun, country: CountryResult, cluster_ids: dict) -> None:
    matches = country.result.matches
    if matches.empty:
        return
    lenders = dict(
        db.session.execute(
            select(CreditProduct.id, CreditProduct.organization_id).where(
                CreditProduct.id.in_([int(p) for p in matches["product_id"].unique()])
            )
        ).all()
    )
    rows = [
        {
            "run_id": run.id,
            "cluster_id": cluster_ids[int(m.group_id)],
            "credit_product_id": int(m.product_id),
            "lender_id": lenders[int(m.product_id)],
            "rank": int(m.rank),
            "score": float(m.score),
            "amount_minor": int(m.amount_minor),
            "status": MatchStatus.PROPOSED,
            "created_at": utcnow(),
        }
        for m in matches.itertuples(index=False)
    ]
    db.session.execute(insert(Match), rows)


def _metrics(results: list[CountryResult]) -> dict:
    """The run's figures: totals over countries, and each country's own figures."""
    per_country = {c.country: _jsonable(c.result.metrics) for c in results}
    totals = {
        key: sum(m.get(key, 0) for m in per_country.values())
        for key in ("n_producers", "n_eligible", "n_groups", "matched_groups", "producers_financed")
    }
    matched = pd.concat(
        [_matched_frame(c) for c in results] or [pd.DataFrame(columns=["g", "a", "m"])]
    )
    return {
        **totals,
        "match_rate": float(matched["m"].mean()) if len(matched) else 0.0,
        "match_rate_by_gender": _rates(matched, "g"),
        "match_rate_by_archetype": _rates(matched, "a"),
        "countries": per_country,
    }


def _matched_frame(country: CountryResult) -> pd.DataFrame:
    """Eligible producers: gender, archetype, and whether their group was matched."""
    out = country.result.producers
    chosen = country.result.matches
    matched_groups = set(chosen.loc[chosen["rank"] == 0, "group_id"].tolist())
    gender = country.frame.set_index("producer_id").reindex(out["producer_id"])["gender"]
    eligible = out["eligible"].to_numpy(bool)
    return pd.DataFrame(
        {
            "g": gender.to_numpy()[eligible],
            "a": out["archetype"].to_numpy()[eligible],
            # financed: in a matched group and covered by its product
            "m": (out["group_id"].isin(matched_groups) & out["financed"])
            .to_numpy()[eligible]
            .astype(float),
        }
    )


def _rates(frame: pd.DataFrame, by: str) -> dict[str, dict]:
    grouped = frame.groupby(by)["m"]
    return {
        str(k): {"rate": float(v), "n": int(n)}
        for (k, v), n in zip(grouped.mean().items(), grouped.size(), strict=True)
    }


def _jsonable(value):
    """Plain JSON types from the library's figures (numpy scalars, int keys)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _summary(metrics: dict) -> dict:
    return {k: metrics.get(k) for k in ("n_producers", "n_eligible", "n_groups", "matched_groups")}


# --- reading results --------------------------------------------------------------------


def runs_page(page: int = 1, per_page: int = 20):
    """Runs, newest first (one page), with who started them."""
    query = (
        select(MatchingRun)
        .options(joinedload(MatchingRun.started_by))
        .order_by(MatchingRun.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def latest_assessment(producer_id: int) -> Assessment | None:
    """A producer's result in the latest successful run."""
    run = latest_run()
    if run is None:
        return None
    return db.session.scalar(
        select(Assessment).where(Assessment.run_id == run.id, Assessment.producer_id == producer_id)
    )


def archetype_of(producer_id: int) -> str | None:
    """A producer's archetype: from the latest run, or, for one who joined after it, what
    that run's fitted typology gives their farm now. None before any run or without a farm."""
    assessment = latest_assessment(producer_id)
    if assessment is not None:
        return assessment.archetype
    run = latest_run()
    country = db.session.scalar(select(Farm.country).where(Farm.producer_id == producer_id))
    stored = (run.state or {}).get(country) if run is not None else None
    if not stored:
        return None
    frame = producer_frame(country, producer_id=producer_id)
    if frame.empty:
        return None
    from matching import archetypes  # scikit-learn: loaded only where it is used

    names = archetypes.assign(
        frame, stored.get("archetypes", []), stored.get("classifier", {}), base_params()
    )
    return str(names.iloc[0])


def run_summary(run: MatchingRun, seconds: float | None = None) -> list[str]:
    """Lines for the command line: the run's totals, then each country's figures."""
    if run.status != RunStatus.SUCCEEDED:
        return [f"matching run {run.id} {run.status}: {run.error}"]
    m = run.metrics
    took = f" ({seconds:.1f} s)" if seconds is not None else ""
    lines = [
        f"run {run.id}: {m['n_producers']:,} producers, {m['n_eligible']:,} eligible, "
        f"{m['n_groups']:,} groups, {m['matched_groups']:,} matched, "
        f"match rate {m['match_rate']:.1%}{took}"
    ]
    for country, c in sorted(m.get("countries", {}).items()):
        model = f"{c.get('model_kind')} {c.get('model_version')}"
        if c.get("auc") is not None:
            model += f" (AUC {c['auc']:.2f}, Brier {c['brier']:.3f})"
        lines.append(
            f"  {country}: {c['n_producers']:,} producers, {c['n_eligible']:,} eligible, "
            f"{c['n_groups']:,} groups, {c['matched_groups']:,} matched; readiness {model}"
        )
    return lines
