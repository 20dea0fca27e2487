"""Splitting a shipment's geolocation into parts that each fit one DDS (pure: no Flask, no
database).

Every plot goes into exactly one part; a producer's plots stay together (a producer counts
once per part) unless they alone exceed the byte limit. Parts are filled in order, so the
same plots give the same parts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from marketplace.traceability import eudr_geojson

_EMPTY = {"type": "FeatureCollection", "features": []}
_SEPARATOR = len(b",\n")  # eudr_geojson.dumps puts ",\n" between features


class PlotTooLarge(ValueError):
    """One plot's geolocation alone is over the byte limit of a statement."""


def dumps(collection: dict) -> str:
    """The file's text exactly as downloaded (and as the parts are measured)."""
    return eudr_geojson.dumps(collection)


def collection(features: list[dict]) -> dict:
    """A GeoJSON FeatureCollection of these features."""
    return {"type": "FeatureCollection", "features": features}


_EMPTY_SIZE = len(dumps(_EMPTY).encode())


def size_of(features: list[dict]) -> int:
    """The bytes (UTF-8) of the FeatureCollection of these features."""
    return len(dumps(collection(features)).encode())


class _Part:
    """A part being filled: its features, its producers and its size as a file."""

    def __init__(self) -> None:
        self.features: list[dict] = []
        self.producers: set[Hashable] = set()
        self.content = 0  # bytes of the features themselves

    def grown(self, sizes: list[int]) -> int:
        """The part's size as a file with features of these sizes added."""
        count = len(self.features) + len(sizes)
        return _EMPTY_SIZE + self.content + sum(sizes) + _SEPARATOR * max(count - 1, 0)

    def takes(self, producer: Hashable, sizes: list[int], max_producers: int, max_bytes: int):
        """Whether these features of `producer` fit in the part."""
        producers = len(self.producers | {producer})
        return producers <= max_producers and self.grown(sizes) <= max_bytes

    def add(self, producer: Hashable, features: list[dict], sizes: list[int]) -> None:
        self.features.extend(features)
        self.producers.add(producer)
        self.content += sum(sizes)


def split(
    features: list[dict],
    *,
    max_producers: int,
    max_bytes: int,
    producer_of: Callable[[dict], Hashable],
) -> list[list[dict]]:
    """The features in parts, each with at most `max_producers` producers and at most
    `max_bytes` bytes as a FeatureCollection; one part (maybe empty) when all fit."""
    groups: dict[Hashable, list[dict]] = {}
    for feature in features:
        groups.setdefault(producer_of(feature), []).append(feature)
    parts = [_Part()]
    for producer, group in groups.items():
        sizes = [len(eudr_geojson.feature_text(f).encode()) for f in group]
        if not parts[-1].takes(producer, sizes, max_producers, max_bytes):
            parts.append(_Part())
        if parts[-1].takes(producer, sizes, max_producers, max_bytes):
            parts[-1].add(producer, group, sizes)
            continue
        for feature, size in zip(group, sizes, strict=True):  # too big for one part: plot by plot
            if not parts[-1].takes(producer, [size], max_producers, max_bytes):
                parts.append(_Part())
            if not parts[-1].takes(producer, [size], max_producers, max_bytes):
                raise PlotTooLarge(feature.get("properties", {}).get("ProductionPlace"))
            parts[-1].add(producer, [feature], [size])
    return [part.features for part in parts if part.features] or [[]]
