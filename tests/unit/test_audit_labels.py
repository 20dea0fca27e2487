"""Every action Minka writes to the audit log reads as plain Spanish on the admin's audit
page: each action in the code has its label."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace.admin.services import ACTION_LABELS, ENTITY_LABELS
from marketplace.extensions import db

ROOT = Path(__file__).resolve().parents[2] / "marketplace"
RECORDED = re.compile(r'audit\.record\(\s*[\w.]+(?:\([^)]*\))?,\s*"([a-z_]+\.[a-z_]+)"')
#: actions passed to audit.record through a variable
THROUGH_VARIABLES = {
    "credit.members_viewed",
    "credit.members_exported",
    "credit.loan_accepted",
    "credit.loan_declined",
}


def recorded_actions() -> set[str]:
    return {
        action
        for path in ROOT.rglob("*.py")
        for action in RECORDED.findall(path.read_text(encoding="utf-8"))
    }


def test_the_scan_finds_the_actions():
    found = recorded_actions()
    assert {"credit.match_approved", "lot.created", "shipment.filed"} <= found


def test_every_audited_action_has_a_label():
    missing = sorted((recorded_actions() | THROUGH_VARIABLES) - set(ACTION_LABELS))
    assert missing == []


def test_every_table_an_entry_can_name_has_a_label():
    import marketplace.models  # noqa: F401  (registers every table)

    assert sorted(set(db.metadata.tables) - set(ENTITY_LABELS)) == []
