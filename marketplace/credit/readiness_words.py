"""A member's readiness as a lender reads it: a sentence instead of a bare percentage, and the
factors the readiness model weighed most for her, split into what raised and what lowered it.

The factors are the model's own (matching.readiness.FACTORS, stored per member as the three
largest contributions with their sign); nothing here adds a factor the model did not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from marketplace.i18n import percent
from marketplace.labels import label
from marketplace.models import MatchingRun

HIGH = 0.8
MEDIUM = 0.6


@dataclass(frozen=True)
class Readiness:
    """Readiness in words: a sentence, the model that estimated it, its factors by sign."""

    share: float
    sentence: str
    model: str = ""
    raised: list[str] = field(default_factory=list)
    lowered: list[str] = field(default_factory=list)


def sentence(share: float) -> str:
    """What the percentage means, in one sentence."""
    if share >= HIGH:
        return _(
            "Preparación alta: se estima un %(share)s de probabilidad de que pague a tiempo.",
            share=percent(share),
        )
    if share >= MEDIUM:
        return _(
            "Preparación media: se estima un %(share)s de probabilidad de que pague a tiempo.",
            share=percent(share),
        )
    return _(
        "Preparación baja: se estima un %(share)s de probabilidad de que pague a tiempo.",
        share=percent(share),
    )


def model_kind(run: MatchingRun | None, country: str) -> str | None:
    """Which readiness model scored `country` in the run (scorecard or trained)."""
    countries = ((run.metrics or {}) if run is not None else {}).get("countries") or {}
    return (countries.get(country) or {}).get("model_kind")


def explain(share: float, explanation: list, kind: str | None) -> Readiness:
    """Readiness in words from the stored explanation ([[factor, "+"|"-"], ...])."""
    raised = [label("readiness_factor", f"{code}+") for code, sign in explanation if sign == "+"]
    lowered = [label("readiness_factor", f"{code}-") for code, sign in explanation if sign == "-"]
    return Readiness(
        share=share,
        sentence=sentence(share),
        model=label("readiness_model", kind) if kind else "",
        raised=raised,
        lowered=lowered,
    )
