"""Credit groups: planted clusters recovered, big clusters split within bounds, chains apart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.groups import _bisect, form_groups, group_table
from matching.types import MatchParams

KM_PER_DEG = 111.195


def make_producers(points, chain="cacao", country="PE", start_id=1):
    """Producers at the given (lat, lon) points, all of one chain and country."""
    n = len(points)
    lat, lon = np.asarray(points, dtype=float).T
    return pd.DataFrame(
        {
            "producer_id": np.arange(start_id, start_id + n),
            "country": country,
            "district_code": "D1",
            "lat": lat,
            "lon": lon,
            "value_chain": chain,
            "productive_ha": 3.0,
            "total_ha": 5.0,
            "yield_kg_ha": 500.0,
            "pledged_kg": 300.0,
        }
    )


def blob(rng, lat, lon, n, radius_km):
    """n points uniformly within radius_km of (lat, lon)."""
    r = radius_km * np.sqrt(rng.random(n))
    t = 2 * np.pi * rng.random(n)
    dlat = r * np.sin(t) / KM_PER_DEG
    dlon = r * np.cos(t) / (KM_PER_DEG * np.cos(np.radians(lat)))
    return np.column_stack([lat + dlat, lon + dlon])


def test_three_planted_clusters_recovered_exactly():
    rng = np.random.default_rng(1)
    centres = [(-6.0, -77.0), (-6.0, -77.0 + 50 / KM_PER_DEG), (-6.0 + 50 / KM_PER_DEG, -77.0)]
    points = np.vstack([blob(rng, la, lo, 12, 4.0) for la, lo in centres])
    producers = make_producers(points)
    groups = form_groups(producers, MatchParams())
    planted = np.repeat([0, 1, 2], 12)
    assert (groups.to_numpy() >= 0).all()
    # same partition as planted: a bijection between planted and found labels
    pairs = set(zip(planted, groups.to_numpy(), strict=True))
    assert len(pairs) == 3
    assert len({p for _, p in pairs}) == 3
    assert list(groups.index) == list(producers["producer_id"])


def test_dense_cluster_of_70_split_within_bounds():
    rng = np.random.default_rng(2)
    producers = make_producers(blob(rng, -9.0, -75.0, 70, 6.0))
    params = MatchParams()
    groups = form_groups(producers, params)
    assert (groups >= 0).all()
    sizes = groups.value_counts()
    assert len(sizes) == 3  # ceil(70 / 30)
    assert sizes.between(params.group_min, params.group_max).all()


def test_split_when_group_min_above_half_max_merges_or_drops():
    rng = np.random.default_rng(3)
    producers = make_producers(blob(rng, -9.0, -75.0, 33, 3.0))
    params = MatchParams(group_min=18, group_max=30)
    groups = form_groups(producers, params)
    sizes = groups[groups >= 0].value_counts()
    assert sizes.between(params.group_min, params.group_max).all()


def test_two_chains_at_the_same_place_never_share_a_group():
    rng = np.random.default_rng(4)
    points = blob(rng, -5.0, -78.0, 40, 5.0)
    producers = pd.concat(
        [
            make_producers(points[:20], chain="cacao"),
            make_producers(points[20:], chain="cafe", start_id=100),
        ],
        ignore_index=True,
    )
    groups = form_groups(producers, MatchParams())
    df = producers.assign(group_id=groups.to_numpy())
    assert (df["group_id"] >= 0).all()
    assert (df.groupby("group_id")["value_chain"].nunique() == 1).all()
    assert df["group_id"].nunique() == 2


def test_scattered_singles_are_left_out():
    lat = -10.0 + np.arange(10) * 1.0  # 111 km apart
    producers = make_producers(np.column_stack([lat, np.full(10, -75.0)]))
    groups = form_groups(producers, MatchParams())
    assert (groups == -1).all()


def test_deterministic_and_independent_of_row_order():
    rng = np.random.default_rng(5)
    points = np.vstack([blob(rng, -6.0 - i * 0.5, -77.0, 45, 8.0) for i in range(4)])
    producers = make_producers(points)
    params = MatchParams()
    first = form_groups(producers, params)
    again = form_groups(producers, params)
    shuffled = form_groups(producers.sample(frac=1.0, random_state=0), params)
    pd.testing.assert_series_equal(first, again)
    pd.testing.assert_series_equal(first, shuffled.reindex(first.index))


def test_group_table_sums_and_caps_pledged_share():
    rng = np.random.default_rng(6)
    producers = make_producers(blob(rng, -6.0, -77.0, 10, 2.0))
    producers.loc[:4, "pledged_kg"] = 5_000.0  # over-pledged: share capped at 1
    producers.loc[0, "district_code"] = "D2"
    groups = form_groups(producers, MatchParams())
    table = group_table(producers, groups)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["size"] == 10
    assert row["district_code"] == "D1"
    assert row["total_ha"] == 50.0
    assert row["expected_kg"] == 10 * 3.0 * 500.0
    assert row["pledged_share"] == 1.0
    assert abs(row["lat"] - producers["lat"].mean()) < 1e-12


def test_weighted_dbscan_matches_sklearn_haversine_dbscan():
    from sklearn.cluster import DBSCAN

    from matching.groups import EARTH_RADIUS_KM, _unit_vectors, _weighted_dbscan

    rng = np.random.default_rng(7)
    points = np.vstack([blob(rng, -6.0 + 0.3 * i, -77.0, 40, 12.0) for i in range(5)])
    points = np.vstack([points, blob(rng, -5.0, -76.0, 60, 80.0)])
    weight = rng.integers(1, 4, len(points))
    ours = _weighted_dbscan(_unit_vectors(*points.T), weight, 10.0, 5)
    model = DBSCAN(eps=10.0 / EARTH_RADIUS_KM, min_samples=5, metric="haversine")
    model.fit(np.radians(points), sample_weight=weight)
    theirs = model.labels_
    core = np.zeros(len(points), dtype=bool)
    core[model.core_sample_indices_] = True
    assert ((ours >= 0) == (theirs >= 0)).all()
    pairs = set(zip(ours[core], theirs[core], strict=True))
    assert len(pairs) == len(set(theirs[core])) == len({o for o, _ in pairs})


# --- buckets: one cooperative and one archetype per group ---------------------------------


def test_two_cooperatives_side_by_side_never_share_a_group():
    rng = np.random.default_rng(7)
    producers = make_producers(blob(rng, -6.0, -77.0, 24, 3.0))  # one village, interleaved
    producers["cooperative_id"] = np.where(np.arange(24) % 2 == 0, 11, 12)
    groups = form_groups(producers, MatchParams())
    df = producers.assign(group_id=groups.to_numpy())
    assert (df["group_id"] >= 0).all()
    # without the cooperative they would be one group of 24; with it, one per cooperative
    assert form_groups(producers.drop(columns="cooperative_id"), MatchParams()).nunique() == 1
    assert df.groupby("group_id")["cooperative_id"].nunique().eq(1).all()
    assert df.groupby("cooperative_id")["group_id"].nunique().eq(1).all()


def test_producers_without_a_cooperative_form_solidarity_groups_apart_from_members():
    rng = np.random.default_rng(8)
    producers = make_producers(blob(rng, -6.0, -77.0, 20, 3.0))
    producers["cooperative_id"] = [7] * 10 + [np.nan] * 6 + [-1] * 4  # NaN and -1: none
    groups = form_groups(producers, MatchParams())
    assert (groups >= 0).all()
    assert groups.iloc[:10].nunique() == 1 and groups.iloc[10:].nunique() == 1
    assert groups.iloc[0] != groups.iloc[10]


def test_two_archetypes_in_one_village_never_share_a_group():
    rng = np.random.default_rng(9)
    producers = make_producers(blob(rng, -6.0, -77.0, 30, 3.0))
    producers["archetype"] = np.where(np.arange(30) < 18, "agroforestry:cacao", "certified")
    groups = form_groups(producers, MatchParams())
    df = producers.assign(group_id=groups.to_numpy())
    assert (df["group_id"] >= 0).all()
    assert df.groupby("group_id")["archetype"].nunique().eq(1).all()
    assert df.groupby("group_id").size().sort_values().tolist() == [12, 18]


def test_many_buckets_at_one_place_stay_apart_and_small_ones_are_left_out():
    # 40 cooperatives x 2 archetypes, all in the same spot: 80 buckets, one clustering pass
    n_coops, per = 40, 6
    producers = make_producers(np.tile([[-6.0, -77.0]], (n_coops * 2 * per, 1)))
    producers["cooperative_id"] = np.repeat(np.arange(n_coops), 2 * per)
    producers["archetype"] = np.tile(np.repeat(["a", "b"], per), n_coops)
    producers.loc[producers.index[-2:], "archetype"] = "c"  # a bucket of 2: below group_min
    groups = form_groups(producers, MatchParams())
    df = producers.assign(group_id=groups.to_numpy())
    grouped = df[df["group_id"] >= 0]
    assert grouped.groupby("group_id")[["cooperative_id", "archetype"]].nunique().eq(1).all().all()
    assert grouped["group_id"].nunique() == 2 * n_coops - 1  # the last coop's "b" has 4 left
    assert (df.loc[df["archetype"] == "c", "group_id"] == -1).all()


def test_buckets_do_not_depend_on_row_order():
    rng = np.random.default_rng(10)
    points = np.vstack([blob(rng, -6.0 - i * 0.3, -77.0, 60, 8.0) for i in range(3)])
    producers = make_producers(points)
    producers["cooperative_id"] = rng.choice([1.0, 2.0, np.nan], len(producers))
    producers["archetype"] = rng.choice(["x", "y"], len(producers))
    first = form_groups(producers, MatchParams())
    shuffled = form_groups(producers.sample(frac=1.0, random_state=1), MatchParams())
    assert (first >= 0).sum() > 100
    pd.testing.assert_series_equal(first, shuffled.reindex(first.index))
    table = group_table(producers, first)
    assert {"archetype", "cooperative_id"} <= set(table.columns)


def _median_cuts(x, y, cluster, group_max):
    """The documented split, point by point: each cluster cut in ceil(n / group_max) parts by
    recursive cuts at the median of the wider axis (ties by position)."""
    part = np.full(len(x), -1)
    labels = iter(range(len(x)))

    def cut(points, m):
        if m <= 1:
            part[points] = next(labels)
            return
        coord = x[points] if np.ptp(x[points]) >= np.ptp(y[points]) else y[points]
        points = points[np.lexsort((points, coord))]
        n_left = int(np.floor(len(points) * (m // 2) / m + 0.5))
        cut(points[:n_left], m // 2)
        cut(points[n_left:], m - m // 2)

    for c in np.unique(cluster):
        points = np.flatnonzero(cluster == c)
        cut(points, int(np.ceil(len(points) / group_max)))
    return part


def test_the_split_is_recursive_median_cuts_of_each_cluster():
    rng = np.random.default_rng(5)
    n = 6_000
    cluster = rng.integers(0, 9, n)
    cluster[cluster == 8] = 0  # one cluster much larger than the others
    x, y = rng.normal(size=n).round(1), rng.normal(size=n).round(1)  # many ties
    got, expected = _bisect(x, y, cluster, 30), _median_cuts(x, y, cluster, 30)
    # the same partition (labels differ): coded by first appearance, they are equal
    assert np.array_equal(pd.factorize(got)[0], pd.factorize(expected)[0])
    assert np.bincount(pd.factorize(got)[0]).max() <= 30
