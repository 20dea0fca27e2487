"""The farm typology of the demo world, per country, without a database.

    python bench/demo_typology.py --sizes 5000 100000

Draws the demo world's producers and farms as ``marketplace.demo`` does (same generator and
seed), keeps each producer's largest farm as ``marketplace.credit.frames`` does, and runs
``matching.archetypes.classify`` per country. Prints the silhouette per k, whether the
typology is clear, and each type's code, size and profile. Measures; never passes or fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace.demo import ANCHOR, organizations, population  # noqa: E402
from matching import archetypes  # noqa: E402
from matching.types import MatchParams  # noqa: E402


def demo_producers(n: int, seed: int = 2026) -> pd.DataFrame:
    """The demo world's producers (largest farm each) in PRODUCER_COLUMNS, no database."""
    rng = np.random.default_rng(seed)
    taken: dict[str, set[str]] = {"email": set(), "phone": set(), "join_code": set()}
    taken |= {f"national_id:{cc}": set() for cc in ("PE", "CO", "MX")}  # an empty database
    orgs = organizations.plan(rng, ANCHOR, "x", taken)
    pop = population.plan(rng, max(n - 1, 0), orgs, taken, ANCHOR, "x")
    farms = pd.DataFrame({k: v for k, v in pop.farms.items() if k != "polygon_geojson"})
    farms["producer_id"] = pop.farm_producer
    farms["associated"] = pop.producer_coop[farms["producer_id"]] >= 0
    farms["certified"] = farms.pop("certifications").map(bool)
    farms = farms.sort_values(["producer_id", "productive_ha"], ascending=[True, False])
    frame = farms.drop_duplicates("producer_id", keep="first", ignore_index=True)
    for column in ("yield_kg_ha", "plant_age_years"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def show(n: int, params: MatchParams) -> None:
    start = time.perf_counter()
    frame = demo_producers(n)
    print(f"\n== demo world, {n:,} producers (drawn in {time.perf_counter() - start:.1f} s)")
    for country, rows in frame.groupby("country", sort=True):
        start = time.perf_counter()
        labels, model, profile = archetypes.classify(rows.reset_index(drop=True), params)
        seconds = time.perf_counter() - start
        typology = model.named_steps["typology"] if model is not None else None
        curve = typology.silhouettes_ if typology is not None else {}
        clear = getattr(typology, "clear_", None)
        reference = getattr(typology, "reference_silhouette_", None)
        print(
            f"-- {country}: {len(rows):,} producers, {seconds:.1f} s; silhouette by k: "
            + ", ".join(f"{k}: {s:.3f}" for k, s in curve.items())
            + (f"; reference without types {reference:.3f}" if reference is not None else "")
            + (f"; clear typology: {clear}" if clear is not None else "")
        )
        cols = ["archetype", "n", "median_productive_ha", "median_yield_kg_ha",
                "share_associated", "share_certified", "share_agroforestry",
                "median_forest_share", "main_value_chain"]  # fmt: skip
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(profile[cols].round(2).to_string(index=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 100_000])
    parser.add_argument("--min-silhouette", type=float, default=MatchParams.typology_min_silhouette)
    parser.add_argument("--min-gain", type=float, default=MatchParams.typology_min_gain)
    args = parser.parse_args()
    params = MatchParams(
        typology_min_silhouette=args.min_silhouette, typology_min_gain=args.min_gain
    )
    for n in args.sizes:
        show(n, params)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
