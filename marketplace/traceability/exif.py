"""The position and date a phone wrote into a JPEG photo (EXIF), read without an imaging
library: only the tags field evidence needs (GPS latitude, longitude and their references,
the horizontal positioning error, the original date). Pure: bytes in, a PhotoTags out; a
photo without tags, or with tags it cannot read, gives empty fields, never an error."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date

GPS_IFD, EXIF_IFD, DATETIME = 0x8825, 0x8769, 0x0132
DATETIME_ORIGINAL = 0x9003
LAT_REF, LAT, LON_REF, LON, H_ERROR = 1, 2, 3, 4, 0x1F
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
MAX_ENTRIES = 512  # a corrupt count must not make us walk megabytes


@dataclass(frozen=True)
class PhotoTags:
    """What a photo says about where and when it was taken (None when it does not say)."""

    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    taken_on: date | None = None


def read(data: bytes) -> PhotoTags:
    """The GPS position and date of a JPEG's EXIF block; empty for anything else."""
    tiff = _exif_block(data)
    if tiff is None:
        return PhotoTags()
    try:
        return _tags(tiff)
    except (struct.error, ValueError, IndexError, ZeroDivisionError):
        return PhotoTags()


def _exif_block(data: bytes) -> bytes | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return None
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        body = data[at + 4 : at + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            return body[6:]
        at += 2 + length
    return None


def _tags(tiff: bytes) -> PhotoTags:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return PhotoTags()
    first = struct.unpack(order + "I", tiff[4:8])[0]
    ifd0 = _ifd(tiff, order, first)
    exif = _ifd(tiff, order, ifd0[EXIF_IFD][0]) if EXIF_IFD in ifd0 else {}
    gps = _ifd(tiff, order, ifd0[GPS_IFD][0]) if GPS_IFD in ifd0 else {}
    lat = _degrees(gps.get(LAT), gps.get(LAT_REF), "S")
    lon = _degrees(gps.get(LON), gps.get(LON_REF), "W")
    if lat is None or lon is None:
        lat = lon = None
    error = gps.get(H_ERROR)
    taken = exif.get(DATETIME_ORIGINAL) or ifd0.get(DATETIME)
    return PhotoTags(
        lat=lat,
        lon=lon,
        accuracy_m=float(error[0]) if lat is not None and error else None,
        taken_on=_day(taken),
    )


def _ifd(tiff: bytes, order: str, offset: int) -> dict[int, list]:
    count = struct.unpack(order + "H", tiff[offset : offset + 2])[0]
    entries = {}
    for i in range(min(count, MAX_ENTRIES)):
        at = offset + 2 + 12 * i
        tag, kind, n = struct.unpack(order + "HHI", tiff[at : at + 8])
        if kind not in TYPE_SIZES:
            continue
        size = TYPE_SIZES[kind] * n
        raw = tiff[at + 8 : at + 12]
        if size > 4:
            start = struct.unpack(order + "I", raw)[0]
            raw = tiff[start : start + size]
        entries[tag] = _values(order, kind, n, raw)
    return entries


def _values(order: str, kind: int, n: int, raw: bytes) -> list:
    if kind == 2:  # ASCII
        return [raw[:n].split(b"\x00")[0].decode("ascii", "replace")]
    if kind in (5, 10):  # (signed) RATIONAL: numerator / denominator
        code = "I" if kind == 5 else "i"
        pairs = struct.unpack(order + code * (2 * n), raw[: 8 * n])
        return [pairs[j] / pairs[j + 1] for j in range(0, len(pairs), 2)]
    code = {1: "B", 3: "H", 4: "I", 7: "B", 9: "i"}[kind]
    return list(struct.unpack(order + code * n, raw[: TYPE_SIZES[kind] * n]))


def _degrees(parts: list | None, ref: list | None, negative: str) -> float | None:
    if not parts or len(parts) != 3 or not ref:
        return None
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    return round(-value if ref[0].strip().upper() == negative else value, 7)


def _day(values: list | None) -> date | None:
    if not values:
        return None
    text = values[0]  # "YYYY:MM:DD HH:MM:SS"
    try:
        return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return None
