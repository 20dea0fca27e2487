"""Each status and kind says how it reads in one place: its enum. Every member has a label
both catalogues translate, badged vocabularies give every member a tone, labels.py holds no
copy of an enum's codes, and templates compare enum members, never string literals."""

from __future__ import annotations

import inspect
import re
from enum import StrEnum
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from marketplace import labels, models
from marketplace.models.vocabulary import Tone, Vocabulary, vocabularies

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
VOCABULARIES = vocabularies()
# shown as badges (templates/_badges.html): every member needs a tone
BADGED = {
    "CommitmentStatus",
    "DeliveryStatus",
    "DisputeStatus",
    "ListingStatus",
    "Legality",
    "LoanStatus",
    "MatchStatus",
    "OrderStatus",
    "OrgStatus",
    "PaymentStatus",
    "PaymentState",
    "RefundState",
    "PledgeStatus",
    "RequestStatus",
    "RiskStatus",
    "ShipmentStatus",
    "TenureDocStatus",
    "RunStatus",
}
# enums of the models that people never read: no label needed
UNSHOWN = {"LayerKind"}


def _catalog(language: str) -> dict[str, str]:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=language) if m.id}


def _members():
    return [member for vocabulary in VOCABULARIES.values() for member in vocabulary]


def test_every_enum_of_the_models_is_a_vocabulary():
    enums = {
        name
        for module in vars(models).values()
        if inspect.ismodule(module) and module.__name__.startswith("marketplace.models.")
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, StrEnum)
        and value.__module__ == module.__name__
    }
    assert enums - {"Tone", "Vocabulary"} - UNSHOWN == set(VOCABULARIES)


@pytest.mark.parametrize("member", _members(), ids=repr)
def test_every_member_has_a_label_both_catalogues_translate(member):
    msgid = member.label  # outside a request: the Spanish msgid itself
    assert msgid
    for language in ("es", "en"):
        assert _catalog(language).get(msgid), f"{language}: no translation of {msgid!r}"


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_a_badged_vocabulary_gives_every_member_a_tone_and_others_none(name):
    tones = {member: member.tone for member in VOCABULARIES[name]}
    if name in BADGED:
        missing = [member for member, tone in tones.items() if not isinstance(tone, Tone)]
        assert missing == [], f"{name}: members without a tone: {missing}"
    else:
        assert set(tones.values()) == {None}, f"{name} has tones: add it to BADGED"


def test_labels_py_holds_no_copy_of_an_enums_codes():
    """A dict keyed by an enum's codes beside the enum is a second place for its labels."""
    enum_codes = {name: set(v.codes()) for name, v in VOCABULARIES.items()}
    for name, value in vars(labels).items():
        if isinstance(value, dict) and value:
            keys = set(value)
            for enum, codes in enum_codes.items():
                assert not keys >= codes, f"labels.{name} repeats {enum}'s codes"


def test_a_vocabulary_member_is_its_stored_code():
    from marketplace.models import OrderStatus

    assert OrderStatus.PLACED == "placed" and OrderStatus("placed") is OrderStatus.PLACED
    assert {"placed": 1}[OrderStatus.PLACED] == 1 and f"{OrderStatus.PLACED}" == "placed"
    assert OrderStatus.codes()[0] == "placed" and type(OrderStatus.codes()[0]) is str
    assert issubclass(OrderStatus, Vocabulary)


# --- templates ------------------------------------------------------------------------------

# a field or variable that holds a stored code of a vocabulary
FIELD = (
    r"(?<![\w.])(?:\w+\.)*(?:\w+_)?"
    r"(?:status|kind|role|outcome|scope|backend|repayment|targets?|point|method|price_type"
    r"|delivery_mode|value_chain|gender|cleared_after_cutoff)\b"
)
LITERAL = r"""(?:'[^'{}]*'|"[^"{}]*")"""
COMPARISONS = [
    re.compile(rf"{FIELD}\s*(?:==|!=)\s*{LITERAL}"),
    re.compile(rf"{LITERAL}\s*(?:==|!=)\s*{FIELD}"),
    re.compile(rf"{FIELD}\s+(?:not\s+)?in\s*[(\[]\s*{LITERAL}"),
    re.compile(rf"{LITERAL}\s+(?:not\s+)?in\s+{FIELD}"),
]
# a tone map keyed by codes: {'paid': 'badge-ok', ...} or {'open': 'ok', ...}
TONE_MAP = re.compile(rf"{LITERAL}\s*:\s*['\"](?:badge-)?(?:ok|warn|bad)['\"]")


def template_problems(root: Path) -> list[str]:
    """Where templates under `root` compare a code to a string literal or map codes to tones."""
    problems = []
    for path in sorted(root.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern in (*COMPARISONS, TONE_MAP):
                for found in pattern.finditer(line):
                    where = path.relative_to(root)
                    problems.append(f"{where}:{number}: {found.group(0)}")
    return problems


def test_templates_compare_enum_members_not_string_literals():
    assert template_problems(TEMPLATES) == [], (
        "compare with the enum member (OrderStatus.PAID) and show badges with "
        "templates/_badges.html"
    )


@pytest.mark.parametrize(
    "line",
    [
        "{% if order.status == 'paid' %}",
        '{% if listing.status != "published" %}',
        "{% if loan.status in ('approved', 'disbursed') %}",
        "{% if 'cancelled' in targets %}",
        "{% if current_user.role == 'admin' %}",
        "{% if order.payment_method == 'card' %}",
        "{% set kind = {'approved': 'ok'}.get(status) %}",
        "<span class=\"badge {{ {'paid': 'badge-ok'}[s] }}\">",
    ],
)
def test_the_template_scan_catches_string_comparisons(tmp_path, line):
    (tmp_path / "page.html").write_text(line + "\n", encoding="utf-8")
    assert template_problems(tmp_path)


@pytest.mark.parametrize(
    "line",
    [
        "{% if order.status == OrderStatus.PAID %}",
        "{% if request.endpoint == 'orders.mine' %}",
        "{% if f.type == 'BooleanField' %}",
        "{% if sign == '+' %}",
    ],
)
def test_the_template_scan_leaves_other_comparisons_alone(tmp_path, line):
    (tmp_path / "page.html").write_text(line + "\n", encoding="utf-8")
    assert template_problems(tmp_path) == []
