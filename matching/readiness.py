"""Readiness: the probability that a producer repays a group credit, with its reasons.

Two models share one set of factors (``FACTORS``), so explanations read the same:

- ``Scorecard``: a transparent points table (``POINTS``), used until enough repayment
  outcomes exist (``MatchParams.min_outcomes``). Points add up to a logit; the probability is
  its logistic transform.
- ``TrainedReadiness``: once outcomes suffice, a logistic regression on standardised factors,
  calibrated (``CalibratedClassifierCV``, sigmoid, 3 folds) and validated out of time:
  trained on the loans of earlier campaigns, tested on the latest campaign's
  (``matching.validation``: AUC and Brier with bootstrap intervals, a reliability table).

Each outcome is a past loan with the producer's factors as they were when it was granted
(``SNAPSHOT_COLUMNS``, recorded at approval); a loan without that snapshot falls back to the
producer's factors today. Training needs ``MatchParams.min_outcomes`` outcomes of both kinds,
a test campaign (the latest with ``MatchParams.min_test_outcomes`` outcomes of both kinds)
and as many in the campaigns before it; otherwise the scorecard stays, with the reason
(``info["reason"]``).

Each factor is centred so that 0 means "neutral"; an explanation lists the (up to) three
factors with the largest contribution and whether they raise ("+") or lower ("-") the
probability, as codes (``("land_title", "+")``): the application words them for people.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from matching import validation
from matching.codes import unique_inverse
from matching.features import as_flag
from matching.types import SNAPSHOT_COLUMNS, MatchParams

FACTORS: tuple[str, ...] = (
    "area", "yield", "plant_age", "associated", "certified", "land_title", "agroforestry",
    "market", "clearing",
)  # fmt: skip

# Scorecard points per unit of each centred factor (logit scale).
POINTS: dict[str, float] = {
    # log(productive_ha / 5), clipped to [-1.5, 1.5]: scale buffers a bad harvest
    "area": 0.35,
    # log(yield / value chain median), clipped to [-1, 1]; unknown yield counts as median
    "yield": 0.8,
    # +1 plants in their productive age range, -1 outside, 0 unknown or not applicable
    "plant_age": 0.3,
    # +1 / -1 member of a cooperative: group support, collective selling
    "associated": 0.35,
    # +1 / -1 certified: price premium and audited practices
    "certified": 0.25,
    # +1 / -1 land title: tenure security, long-term investment
    "land_title": 0.4,
    # +1 / -1 agroforestry: diversified income, resilience
    "agroforestry": 0.2,
    # pledged share of expected volume minus 0.25: a committed buyer is a market guarantee
    "market": 1.2,
    # +1 no clearing after the cut-off, -1 unknown (penalised), -2 cleared
    "clearing": 0.3,
}
# logit of a producer whose factors are all neutral (~0.69)
INTERCEPT = 0.8

# Productive plant age (years) by value chain; chains absent here have no age factor.
PRODUCTIVE_AGE: dict[str, tuple[float, float]] = {
    "cacao": (5.0, 25.0),
    "cafe": (3.0, 20.0),
    "madera": (8.0, 60.0),
}

N_REASONS = 3

MIN_CLASS = 10  # outcomes of each kind (repaid, not repaid) needed to train at all
# a campaign can be the test once this share of its loans has closed (when the outcomes say)
MIN_CLOSED_SHARE = 0.8


def chain_median_yield(producers: pd.DataFrame) -> dict[str, float]:
    """Median known yield per value chain."""
    yields = producers["yield_kg_ha"]
    known = (yields > 0).to_numpy()  # the two columns only: not a copy of every column
    medians = yields[known].groupby(producers["value_chain"][known], observed=True).median()
    return {str(k): float(v) for k, v in medians.items()}


def _lookup(codes: np.ndarray, uniques, table: dict, default: float = np.nan) -> np.ndarray:
    """table[value] per row from factorized codes (fast for 1M rows of few distinct values)."""
    values = np.array([table.get(str(u), default) for u in uniques] + [default], dtype=float)
    return values[codes]  # code -1 (missing) picks the trailing default


def factor_matrix(producers: pd.DataFrame, median_yield: dict[str, float]) -> np.ndarray:
    """Centred factors (n x len(FACTORS)), 0 meaning neutral."""
    ha = producers["productive_ha"].to_numpy(dtype=float)
    yld = producers["yield_kg_ha"].to_numpy(dtype=float)
    chain_code, chains = pd.factorize(producers["value_chain"])
    med = _lookup(chain_code, chains, median_yield)
    with np.errstate(divide="ignore", invalid="ignore"):
        area = np.clip(np.log(np.maximum(ha, 1e-3) / 5.0), -1.5, 1.5)
        rel = np.log(yld / med)
    yield_f = np.where(np.isfinite(rel), np.clip(rel, -1.0, 1.0), 0.0)
    low = _lookup(chain_code, chains, {k: v[0] for k, v in PRODUCTIVE_AGE.items()})
    high = _lookup(chain_code, chains, {k: v[1] for k, v in PRODUCTIVE_AGE.items()})
    age = producers["plant_age_years"].to_numpy(dtype=float)
    known_age = np.isfinite(age) & np.isfinite(low)
    in_range = (age >= low) & (age <= high)
    age_f = np.where(known_age, np.where(in_range, 1.0, -1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = producers["pledged_kg"].to_numpy(dtype=float) / (ha * yld)
    share = np.where(np.isfinite(share), np.clip(share, 0.0, 1.0), 0.0)
    clear_code, clear_values = pd.factorize(producers["cleared_after_cutoff"])
    clearing = _lookup(clear_code, clear_values, {"no": 1.0, "yes": -2.0}, default=-1.0)

    def pm(column: str) -> np.ndarray:
        return np.where(as_flag(producers[column]), 1.0, -1.0)

    matrix = np.column_stack(
        [
            area, yield_f, age_f, pm("associated"), pm("certified"), pm("land_title"),
            pm("agroforestry"), share - 0.25, clearing,
        ]
    )  # fmt: skip
    return np.nan_to_num(matrix, nan=0.0)  # an unknown figure counts as neutral


def top_reasons(contributions: np.ndarray, k: int = N_REASONS) -> np.ndarray:
    """Object array of explanations: tuples of up to k (factor, "+"/"-") by |contribution|."""
    n, f = contributions.shape
    k = min(k, f)
    # the k largest |contributions| per row, ties to the earlier factor (a stable sort's
    # order), by k passes of argmax: a full sort of 1M rows costs several times more
    magnitude = np.abs(contributions)
    order = np.empty((n, k), dtype=np.intp)
    rows = np.arange(n)
    for j in range(k):
        order[:, j] = magnitude.argmax(axis=1)
        magnitude[rows, order[:, j]] = -1.0
    top = np.take_along_axis(contributions, order, axis=1)
    # code each reason as factor * 3 + (0 "+", 1 "-", 2 none) and build tuples once per combo
    codes = order * 3 + np.where(top > 0, 0, np.where(top < 0, 1, 2))
    base = 3 * f
    key = np.zeros(n, dtype=np.int64)
    for j in range(k):
        key = key * base + codes[:, j]
    combos, inverse = unique_inverse(key)
    built = np.empty(len(combos), dtype=object)
    for i, combo in enumerate(combos):  # bounded by the distinct combinations, not producers
        digits = [(int(combo) // base**p) % base for p in range(k - 1, -1, -1)]
        built[i] = tuple((FACTORS[c // 3], "+-"[c % 3]) for c in digits if c % 3 != 2)
    return built[inverse]


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class Scorecard(BaseEstimator):
    """Transparent points table over the centred factors; see ``POINTS``.

    Attributes
    ----------
    median_yield_ : dict
        Median yield per value chain, the reference for the yield factor.
    """

    def fit(self, producers: pd.DataFrame, y=None) -> Scorecard:
        """Learn the value chains' median yields."""
        self.median_yield_ = chain_median_yield(producers)
        return self

    def contributions(self, producers: pd.DataFrame) -> np.ndarray:
        """Points per factor (n x len(FACTORS))."""
        check_is_fitted(self)
        return factor_matrix(producers, self.median_yield_) * _points()

    def predict_proba(self, producers: pd.DataFrame) -> np.ndarray:
        """Probability of repayment, logistic in the total points."""
        return _logistic(INTERCEPT + self.contributions(producers).sum(axis=1))

    def explain(self, row: pd.Series | pd.DataFrame) -> tuple[tuple[str, str], ...]:
        """Top factors for one producer."""
        frame = row.to_frame().T if isinstance(row, pd.Series) else row
        frame = frame.infer_objects()
        return top_reasons(self.contributions(frame.iloc[:1]))[0]


class TrainedReadiness(ClassifierMixin, BaseEstimator):
    """Calibrated logistic regression on standardised factors, trained on outcomes and
    validated out of time.

    Parameters
    ----------
    seed : int
        Seed of the bootstrap resamples of the validation.
    n_bootstrap : int
        Bootstrap resamples for the confidence intervals.
    min_test : int
        Outcomes the test campaign needs (of each kind, up to ``MIN_CLASS``): the latest
        campaign with as many is the test, later thinner ones are left out of validation.

    Attributes
    ----------
    median_yield_ : dict
        Median yield per value chain.
    model_ : CalibratedClassifierCV
        The calibrated model, refitted on all outcomes once validated.
    metrics_ : dict
        ``auc``, ``brier`` (with ``auc_ci``, ``brier_ci``, ``reliability``) of the model
        trained on earlier campaigns, on the latest campaign; ``scorecard``: the scorecard's
        figures on the same loans; ``n_outcomes``, ``n_train``, ``n_test``,
        ``test_campaign``, ``n_snapshot`` (outcomes with grant-time factors).
    version_ : str
        ``"lr-<n>-<hash of the training outcomes>"``.
    """

    def __init__(
        self, seed: int = 2026, n_bootstrap: int = validation.N_BOOTSTRAP, min_test: int = 1
    ):
        self.seed = seed
        self.n_bootstrap = n_bootstrap
        self.min_test = min_test

    def _model(self) -> CalibratedClassifierCV:
        base = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return CalibratedClassifierCV(base, method="sigmoid", cv=3)

    def fit(self, producers: pd.DataFrame, outcomes: pd.DataFrame) -> TrainedReadiness:
        """Train on earlier campaigns, test on the latest, then refit on all outcomes.

        Parameters
        ----------
        producers : DataFrame
            Producers with ``PRODUCER_COLUMNS``: the reference for median yields, and the
            factors of outcomes recorded without a grant-time snapshot.
        outcomes : DataFrame
            ``OUTCOME_COLUMNS``: one row per past loan, with its campaign and, where known,
            the factors at grant (``SNAPSHOT_COLUMNS``).

        Returns
        -------
        self : TrainedReadiness
        """
        self.median_yield_ = chain_median_yield(producers)
        data, n_snapshot = training_rows(producers, outcomes)
        x = factor_matrix(data, self.median_yield_)
        y = data["repaid"].to_numpy(dtype=bool).astype(int)
        train, test, latest = _split(data, self.min_test)
        if not train.any() or not test.any():
            raise ValueError("out-of-time validation needs earlier campaigns and a latest one")
        self.classes_ = np.array([0, 1])
        p_test = self._model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        # the scorecard on the same loans: same factors, same median yields
        p_card = _logistic(INTERCEPT + (x[test] * _points()).sum(axis=1))
        self.model_ = self._model().fit(x, y)
        digest = hashlib.sha256(
            np.ascontiguousarray(data[["producer_id"]].to_numpy(dtype=np.int64)).tobytes()
            + y.astype(np.int8).tobytes()
            + np.nan_to_num(data["campaign"].to_numpy(dtype=float), nan=-1)
            .astype(np.int64)
            .tobytes()
            + str(self.seed).encode()
        ).hexdigest()[:8]
        self.version_ = f"lr-{len(y)}-{digest}"
        self.metrics_ = {
            **validation.evaluate(y[test], p_test, self.seed, self.n_bootstrap),
            "scorecard": validation.evaluate(y[test], p_card, self.seed, self.n_bootstrap),
            "n_outcomes": int(len(y)),
            "n_train": int(train.sum()),
            "n_test": int(test.sum()),
            "test_campaign": latest,
            "n_later": int((data["campaign"].to_numpy(dtype=float) > latest).sum()),
            "n_snapshot": n_snapshot,
        }
        return self

    def predict_proba(self, producers: pd.DataFrame) -> np.ndarray:
        """Probabilities of (default, repaid), n x 2."""
        check_is_fitted(self)
        return self.model_.predict_proba(factor_matrix(producers, self.median_yield_))

    def contributions(self, producers: pd.DataFrame) -> np.ndarray:
        """coef x standardised value per factor, averaged over the calibration folds."""
        check_is_fitted(self)
        x = factor_matrix(producers, self.median_yield_)
        total = np.zeros_like(x)
        folds = self.model_.calibrated_classifiers_
        for fold in folds:
            scaler, lr = fold.estimator[0], fold.estimator[-1]
            total += lr.coef_[0] * scaler.transform(x)
        return total / len(folds)


def _points() -> np.ndarray:
    return np.array([POINTS[f] for f in FACTORS])


def training_rows(producers: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Outcomes of known producers with the factors at grant where recorded (today's
    otherwise), and how many had them; ordered as given."""
    today = [c for c in SNAPSHOT_COLUMNS if c in producers.columns]
    data = outcomes.merge(
        producers[["producer_id", *today]], on="producer_id", how="inner", suffixes=("", "_now")
    )
    if "campaign" not in data.columns:
        data["campaign"] = np.nan
    recorded = [c for c in today if c in outcomes.columns]
    has = data[recorded].notna().any(axis=1) if recorded else pd.Series(False, index=data.index)
    for column in today:
        if column in outcomes.columns:
            now = data.pop(f"{column}_now")
            data[column] = data[column].where(has, now)
    return data, int(has.sum())


def _check(producers: pd.DataFrame, outcomes: pd.DataFrame | None, params: MatchParams):
    """(training rows, None) when the trained model may replace the scorecard; else
    (rows or None, the reason code)."""
    if outcomes is None or len(outcomes) == 0:
        return None, "no_outcomes"
    data, _ = training_rows(producers, outcomes)
    y = data["repaid"].astype(bool).to_numpy()
    if len(data) < params.min_outcomes:
        return data, "few_outcomes"
    if min(y.sum(), (~y).sum()) < MIN_CLASS:
        return data, "one_class"
    campaign = data["campaign"].to_numpy(dtype=float)
    if not np.isfinite(campaign).any():
        return data, "no_campaign"
    train, test, latest = _split(data, params.min_test_outcomes)
    if latest is None:
        return data, "few_test_outcomes"
    floor = min(MIN_CLASS, params.min_test_outcomes)
    if train.sum() < params.min_test_outcomes or min(y[train].sum(), (~y[train]).sum()) < floor:
        return data, "few_train_outcomes"
    return data, None


def _split(data: pd.DataFrame, min_test: int):
    """Out-of-time split: the test is the latest campaign with `min_test` outcomes of both
    kinds (up to MIN_CLASS each) and, where known, MIN_CLOSED_SHARE of its loans closed."""
    share = data.get("campaign_closed_share")
    return validation.out_of_time(
        data["campaign"].to_numpy(dtype=float),
        data["repaid"].astype(bool).to_numpy(),
        min_test=min_test,
        min_class=min(MIN_CLASS, min_test),
        closed_share=None if share is None else share.to_numpy(dtype=float),
        min_closed_share=MIN_CLOSED_SHARE,
    )


def _scorecard_check(data: pd.DataFrame | None, contributions_of, params: MatchParams):
    """The scorecard's figures on the test campaign's outcomes (all outcomes when no
    campaign qualifies), when they hold both kinds."""
    if data is None or data.empty:
        return None
    _, test, latest = _split(data, params.min_test_outcomes)
    rows = data[test] if latest is not None else data
    y = rows["repaid"].astype(bool).to_numpy().astype(int)
    if not 0 < y.sum() < len(y):
        return None
    p = _logistic(INTERCEPT + contributions_of(rows).sum(axis=1))
    return {**validation.evaluate(y, p, params.seed), "test_campaign": latest}


def score(
    producers: pd.DataFrame, outcomes: pd.DataFrame | None, params: MatchParams
) -> tuple[pd.DataFrame, dict]:
    """Readiness and explanation per producer, and which model produced them and why."""
    data, reason = _check(producers, outcomes, params)
    n = 0 if outcomes is None else int(len(outcomes))
    if reason is None:
        model = TrainedReadiness(seed=params.seed, min_test=params.min_test_outcomes)
        model.fit(producers, outcomes)
        proba = model.predict_proba(producers)[:, 1]
        contributions = model.contributions(producers)
        metrics = model.metrics_
        info = {
            "kind": "trained",
            "version": model.version_,
            "auc": metrics["auc"],
            "brier": metrics["brier"],
            "n_outcomes": metrics["n_outcomes"],
            "reason": None,
            "validation": metrics,
        }
    else:
        card = Scorecard().fit(producers)
        contributions = card.contributions(producers)
        proba = _logistic(INTERCEPT + contributions.sum(axis=1))
        check = _scorecard_check(data, card.contributions, params)
        info = {
            "kind": "scorecard",
            "version": "scorecard-1",
            "auc": None if check is None else check["auc"],
            "brier": None if check is None else check["brier"],
            "n_outcomes": n,
            "reason": reason,
            "validation": None if check is None else {"scorecard": check},
        }
    table = pd.DataFrame(
        {
            "producer_id": producers["producer_id"].to_numpy(),
            "readiness": proba,
            "explanation": top_reasons(contributions),
        }
    )
    return table, info
