"""Walk a signed-in role's pages and find numbers and amounts not written for the viewer.

`walk` follows the links of the menu and the pages one or two clicks away (an order, a
commitment, a farm, a group, a loan, a matching run, the CSV exports), a few pages per
endpoint. `findings` reads a page's text the way a person sees it (no tags, scripts, styles
or attribute values) and returns each number that is not grouped in thousands and each
amount that `money()` would write otherwise for this viewer.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from marketplace.i18n import money
from marketplace.money import AmountError, parse_money

#: Machine formats and non-pages: the EU due-diligence files and GeoJSON keep plain numbers
#: with a point, the JSON API likewise; photos are images; the rest are not pages.
NOT_WALKED = {
    "static",
    "traceability.commitment_export",
    "traceability.lot_export",
    "traceability.evidence_photo",
    "traceability.tenure_file",
    "gazetteer.districts",
    "gazetteer.regions",
    "payments.onboarded",
    "privacy.data_json",
}
NOT_WALKED_PREFIXES = ("api.",)

#: What may be written as a long run of digits (the allow-list): lot, delivery and shipment
#: codes (LOT-PE-000012, ENT-PE-000123, EMB-PE-000001), plot ids (PE-FARM-000123), HS codes
#: (180100), record numbers
#: after "#" (Pedido #12345), phone numbers in international form (+51942517380), digits
#: inside a code (4D3505DB, lr-376-8d179125), the digits after a decimal mark (coordinates:
#: -7.161944), and national ids (passed in by value: a Colombian cédula has no shape of its
#: own).
CODE = re.compile(
    r"\b(?:LOT|ENT|EMB)-[A-Z]{2}-\d{6}\b|\b[A-Z]{2}-FARM-\d{6}\b|#\d+|\+\d{8,15}\b"
    r"|\b(?:180100|0901[12][12])\b"  # HS codes of cacao and coffee (shipment_rules.HS_CODES)
    r"|\b\d{6,15}-\d\b"  # a Colombian NIT with its verification digit (900123456-8)
    r"|\b\d{3}-\d{1,8}\b"  # a Colombian folio de matrícula (050-1234567), tenure_rules
)
FRACTION = re.compile(r"(?<=\d[.,])\d+")
LONG_RUN = re.compile(r"(?<!\w)\d{5,}(?!\w)")  # a run glued to letters is a code
#: Four digits are a year from 1900 to 2100, else a number written without its separator
#: ("5620 kg", "de 8982 pagos").
FOUR_DIGITS = re.compile(r"(?<![\w.,])\d{4}(?![\w])")
CURRENCY = r"S/|US\$|MXN|COP|PEN|USD|\$"
AMOUNT = re.compile(rf"(-?)({CURRENCY})[ \u00a0]?(\d[\d.,]*\d|\d)")
CODE_AFTER = re.compile(r"\d[ \u00a0]?(?:PEN|MXN|COP|USD)\b")
#: Elements that start a new line for the reader: what they separate never reads as one.
LINE_BREAKS = {"br", "p", "div", "li", "dt", "dd", "td", "th", "tr", "h1", "h2", "h3", "option"}
SYMBOL_CODES = {"S/": "PEN", "US$": "USD", "PEN": "PEN", "MXN": "MXN", "COP": "COP", "USD": "USD"}
HOME_PESO = {"es_MX": "MXN", "es_CO": "COP"}


class _Text(HTMLParser):
    """The text of a page as a reader sees it: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in LINE_BREAKS:
            self.parts.append("\n")
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in LINE_BREAKS:
            self.parts.append("\n")
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


AMOUNT_TAG = re.compile(r'<span class="amount">([^<]*)</span>')


def html_of(response) -> str:
    """A response's HTML without the wrapper that keeps each amount on one line
    (`<span class="amount">`), so a test reads "3 préstamos por S/ 21,570.00" as people do."""
    return AMOUNT_TAG.sub(r"\1", response.get_data(as_text=True))


def read(html: str) -> tuple[str, list[str]]:
    """The visible text of an HTML page and the links on it."""
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line), parser.links


@dataclass(frozen=True)
class Finding:
    url: str
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.url}: {self.what}: …{self.text}…"


def _around(text: str, start: int, end: int) -> str:
    return text[max(0, start - 30) : end + 30].replace("\n", " ¦ ")


def findings(url: str, text: str, locale: str, allowed: frozenset[str]) -> list[Finding]:
    """Numbers and amounts on one page that are not written for a viewer in `locale`."""
    found = []
    masked = CODE.sub("·", text)
    for match in LONG_RUN.finditer(masked):
        run = match.group()
        if run in allowed or FRACTION.match(masked, match.start()):
            continue
        found.append(Finding(url, "digits without separator", _around(masked, *match.span())))
    for match in FOUR_DIGITS.finditer(masked):
        if not 1900 <= int(match.group()) <= 2100 and match.group() not in allowed:
            found.append(Finding(url, "digits without separator", _around(masked, *match.span())))
    for match in CODE_AFTER.finditer(masked):
        found.append(Finding(url, "currency code after the amount", _around(masked, *match.span())))
    for match in AMOUNT.finditer(masked.replace("\u00a0", " ")):
        sign, symbol, digits = match.groups()
        code = SYMBOL_CODES.get(symbol) or HOME_PESO.get(locale)
        if code is None:
            found.append(Finding(url, "'$' without its currency", _around(masked, *match.span())))
            continue
        try:
            minor = parse_money(digits, code)
        except AmountError:
            expected = None
        else:
            expected = money(-minor if sign else minor, code, locale).replace("\u00a0", " ")
        if match.group() != expected:
            found.append(
                Finding(url, f"amount not as money() writes it ({expected})", match.group())
            )
    return found


def endpoint_of(app: Flask, url: str) -> str | None:
    """The endpoint a local URL goes to (None for another site or an unknown path)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    return endpoint


@dataclass
class Page:
    url: str
    endpoint: str
    text: str
    mimetype: str = "text/html"


def walk(
    app: Flask, client: FlaskClient, start: list[str], per_endpoint: int = 2, depth: int = 3
) -> list[Page]:
    """The pages a signed-in client reaches from `start` by following links, at most
    `per_endpoint` pages of each endpoint and `depth` clicks away."""
    seen: set[str] = set()
    taken: dict[str, int] = {}
    queue = deque((url, 0) for url in start)
    pages = []
    while queue:
        url, level = queue.popleft()
        url = urldefrag(url).url
        endpoint = endpoint_of(app, url)
        if url in seen or endpoint is None or endpoint in NOT_WALKED:
            continue
        if endpoint.startswith(NOT_WALKED_PREFIXES) or taken.get(endpoint, 0) >= per_endpoint:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        taken[endpoint] = taken.get(endpoint, 0) + 1
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            text, links = read(body)
        else:
            text, links = body, []
        pages.append(Page(url, endpoint, text, response.mimetype))
        if level < depth:
            queue.extend((link, level + 1) for link in links)
    return pages
