"""Farm typology: k-means (or a Gaussian mixture) on standardised features, k by silhouette.

A typology is used only when it is clear: its best silhouette reaches
``MatchParams.typology_min_silhouette`` and beats, by ``typology_min_gain``, the silhouette the
same clustering reaches on a world without types like the country's (numeric features from
one Gaussian of the same means and covariances, the 0/1 features and the value chain
shuffled; :meth:`TypologyModel._reference`). Otherwise each value chain is one type
(``"no_typology:<chain>"``) rather than types invented from noise.

Each type is described by its profile in real units and coded by what sets it apart from the
country's typed producers (:func:`matching.profiles.name_types`); the application names codes
in its users' language. Codes stay stable between runs: new centroids are matched to the
previous run's (Hungarian assignment, :func:`align`) and a matched type keeps its previous
code while that code still fits it (:func:`matching.profiles.still_fits`). No producer outside
a cooperative carries a code that says all members are in one. Producers under the area
threshold get ``SUBSISTENCE`` (technical assistance, not credit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from matching.features import (
    BINARY,
    CATEGORICAL,
    COLUMNS,
    INPUTS,
    NUMERIC,
    as_flag,
    feature_frame,
    feature_medians,
    make_preprocessor,
)
from matching.profiles import (
    NO_TYPOLOGY,
    PROFILE_COLUMNS,
    SEPARATOR,
    align,
    compatible,
    describe,
    name_types,
    parse_code,
    still_fits,
)
from matching.types import SUBSISTENCE, MatchParams


def silhouette(distances: np.ndarray, labels) -> float:
    """Mean silhouette of ``labels`` from the rows' distance matrix; NaN with fewer than two
    labels. The same figure as scikit-learn's ``silhouette_score(metric="precomputed")``
    (a point alone in its type scores 0), from one matrix product - each row's summed
    distance to each type - instead of a pass over the matrix per chunk of rows (k-fold
    faster on the 5,000-row sample, where it is computed once per k tried)."""
    types, t = np.unique(np.asarray(labels), return_inverse=True)
    k, n = types.size, t.size
    if k < 2:
        return np.nan
    members = np.zeros((n, k))
    members[np.arange(n), t] = 1.0
    sums = distances @ members
    counts = np.bincount(t, minlength=k)
    rows = np.arange(n)
    within = sums[rows, t] / np.maximum(counts[t] - 1, 1)
    means = sums / counts
    means[rows, t] = np.inf
    nearest = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.nan_to_num((nearest - within) / np.maximum(within, nearest))
    scores[counts[t] == 1] = 0.0
    return float(scores.mean())


class TypologyModel(ClusterMixin, BaseEstimator):
    """Clusters producers into types, choosing the number of types by silhouette.

    Parameters
    ----------
    k_min, k_max : int
        Range of numbers of types tried (inclusive).
    method : {"kmeans", "gmm"}
        K-means or a Gaussian mixture (full covariance).
    random_state : int, RandomState or None
        Seed for the sample, the initialisations and the mixture.
    sample_size : int
        At most this many rows (a seeded sample) choose k and score the silhouette (their
        distance matrix, sample_size**2 floats, is computed once). With more rows, the chosen
        k-means is refined on all rows from the sample's centroids (a mixture keeps the
        sample's fit). Keeps 1M rows fast.
    n_init : int
        Initialisations per k.
    min_silhouette, min_gain : float
        The typology is clear (``clear_``) when the best silhouette is at least
        ``min_silhouette`` and at least ``min_gain`` above ``reference_silhouette_``.
    column_groups : list of lists of int, optional
        How the reference world without types is drawn: the first list holds the continuous
        columns (drawn from one Gaussian with the sample's mean and covariance), each further
        list columns shuffled together (a 0/1 flag, a one-hot block). Default: every column
        continuous.

    Attributes
    ----------
    n_clusters_ : int
        Chosen number of types.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        Centroids (mixture means) in the input (standardised) space.
    silhouette_ : float
        Silhouette of the chosen model on the sample.
    silhouettes_ : dict
        Silhouette per k tried (NaN where k was impossible).
    reference_silhouette_ : float
        Silhouette of the chosen k on ``REFERENCE_ROWS`` rows of a world without types like
        the sample (see ``column_groups``): what the clustering finds where there is nothing
        to find.
    clear_ : bool
        Whether the typology is clear (see ``min_silhouette``); :func:`classify` may keep a
        previous run's typology a little below (``MatchParams.typology_hysteresis``).
    labels_ : ndarray of shape (n_samples,)
        Type of each training row, 0 .. n_clusters_ - 1.
    estimator_ : KMeans or GaussianMixture
        The fitted model of the chosen k.
    """

    REFERENCE_ROWS = 2_000

    def __init__(
        self,
        k_min=3,
        k_max=8,
        method="kmeans",
        random_state=None,
        sample_size=5_000,
        n_init=3,
        min_silhouette=0.0,
        min_gain=0.0,
        column_groups=None,
    ):
        self.k_min = k_min
        self.k_max = k_max
        self.method = method
        self.random_state = random_state
        self.sample_size = sample_size
        self.n_init = n_init
        self.min_silhouette = min_silhouette
        self.min_gain = min_gain
        self.column_groups = column_groups

    def _model(self, k, seed, init=None):
        if self.method == "kmeans":
            if init is not None:
                return KMeans(n_clusters=k, init=init, n_init=1, random_state=seed)
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        if self.method == "gmm":
            return GaussianMixture(
                n_components=k,
                n_init=1 if init is not None else self.n_init,
                means_init=init,
                random_state=seed,
            )
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {self.method!r}")

    @staticmethod
    def _fit_quietly(model, X):
        # Duplicate points (fewer distinct points than k) or a slow mixture only warn; such a
        # k is then judged by its labels (fewer distinct labels -> not a candidate).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
        return model

    def fit(self, X, y=None):
        """Fit a model for each k in [k_min, k_max] and keep the best by silhouette."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n = X.shape[0]
        if self.k_min < 2 or self.k_max < self.k_min:
            raise ValueError(f"need 2 <= k_min <= k_max, got {self.k_min}, {self.k_max}")
        if n < self.k_min + 1:
            raise ValueError(f"n_samples={n} is too few to choose among {self.k_min} or more types")
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        sample = (
            np.sort(rng.choice(n, self.sample_size, replace=False))
            if n > self.sample_size
            else None
        )
        Xs = X if sample is None else X[sample]

        # Sample-sized work runs on one thread: BLAS/OpenMP threads cost more than they save
        # on a few thousand rows (measured 2-5x slower on 2 cores).
        with threadpool_limits(limits=1):
            best, best_score, scores, distances = self._choose_k(Xs, seed)
            if best is None:  # no k separates the points (e.g. all rows equal)
                best = self._fit_quietly(self._model(self.k_min, seed), Xs)
                reference = np.nan
            else:
                reference = self._reference(Xs, self._k(best), seed)
        self.silhouettes_ = scores
        self.reference_silhouette_ = reference
        self.clear_ = bool(
            np.isfinite(best_score)
            and best_score >= self.min_silhouette
            and best_score - (reference if np.isfinite(reference) else 0.0) >= self.min_gain
        )
        self.sample_, self.seed_ = sample, seed
        if self.clear_:
            best = self._refit(best, X)
        self._keep(best, X, best_score if sample is None else None, distances)
        return self

    def _refit(self, model, X):
        if self.sample_ is None or self.method != "kmeans":
            return model
        return self._fit_quietly(self._model(self._k(model), self.seed_, self._centers(model)), X)

    def _keep(self, model, X, score=None, distances=None):
        self.estimator_ = model
        self.cluster_centers_ = self._centers(model)
        self.n_clusters_ = self.cluster_centers_.shape[0]
        self.labels_ = model.predict(X)
        if score is None:
            if distances is None:
                with threadpool_limits(limits=1):
                    distances = pairwise_distances(X[self.sample_])
            score = silhouette(distances, self.labels_[self.sample_])
        self.silhouette_ = score

    def refine(self, X):
        """Refit the chosen k-means on all rows from the sample's centroids (when the fit
        used a sample; a mixture keeps the sample's fit). ``fit`` does it when the typology
        is clear; otherwise its types are used for nothing and the refit, the costliest step
        at 1M rows, is left to a caller that keeps them anyway (:func:`classify`'s
        hysteresis)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        refined = self._refit(self.estimator_, X)
        if refined is not self.estimator_:
            self._keep(refined, X)
        return self

    def _reference(self, Xs, k, seed):
        """Silhouette of k types on a world without types like the sample: its continuous
        columns drawn from one Gaussian of the same mean and covariance, each other column
        group (0/1 flags, a one-hot block) shuffled on its own."""
        rng = np.random.default_rng(seed)
        rows = min(Xs.shape[0], self.REFERENCE_ROWS)
        X = np.array(Xs[rng.permutation(Xs.shape[0])[:rows]], dtype=float)
        groups = self.column_groups
        if groups is None:
            groups = [list(range(X.shape[1]))]
        continuous, *discrete = groups
        if continuous:
            block = X[:, continuous]
            cov = np.atleast_2d(np.cov(block, rowvar=False))
            X[:, continuous] = rng.multivariate_normal(
                block.mean(axis=0), cov, size=rows, method="eigh"
            )
        for group in discrete:
            X[:, group] = X[rng.permutation(rows)][:, group]
        labels = self._fit_quietly(self._model(k, seed), X).predict(X)
        return silhouette(pairwise_distances(X), labels)

    def _choose_k(self, Xs, seed):
        """Fit every k on the sample; the best model by silhouette, its score, all scores."""
        distances = pairwise_distances(Xs)  # one matrix serves the silhouette of every k
        best, best_score, scores = None, -np.inf, {}
        for k in range(self.k_min, min(self.k_max, Xs.shape[0] - 1) + 1):
            model = self._fit_quietly(self._model(k, seed), Xs)
            scores[k] = silhouette(distances, model.predict(Xs))
            if scores[k] > best_score:
                best, best_score = model, scores[k]
        return best, best_score, scores, distances

    @staticmethod
    def _k(model):
        return model.n_clusters if isinstance(model, KMeans) else model.n_components

    @staticmethod
    def _centers(model):
        return (model.cluster_centers_ if isinstance(model, KMeans) else model.means_).copy()

    def predict(self, X):
        """Type of each row, with the fitted model."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self.estimator_.predict(X)


def _center_columns() -> list[str]:
    return [f"center_{c}" for c in COLUMNS]


def _column_groups() -> list[list[int]]:
    """How the world without types is drawn: the numeric features from one Gaussian, each
    0/1 feature shuffled on its own, the value chain's one-hot block shuffled as one."""
    flags = [[COLUMNS.index(c)] for c in BINARY]
    return [[COLUMNS.index(c) for c in NUMERIC], *flags, [COLUMNS.index(c) for c in CATEGORICAL]]


def _clear(typology: TypologyModel, previous, params: MatchParams) -> bool:
    """Whether to use the types: the model's verdict, except that a typology the previous
    run used is kept while it stays within ``typology_hysteresis`` of both thresholds (a
    silhouette hovering at the threshold does not switch types on and off between runs)."""
    if typology.clear_:
        return True
    previous = _previous_frame(previous)
    if previous is None or "archetype" not in previous:
        return False
    codes = [c for c in previous["archetype"] if c != SUBSISTENCE]
    if not codes or any(parse_code(c).type == NO_TYPOLOGY for c in codes):
        return False
    scores = [v for v in typology.silhouettes_.values() if np.isfinite(v)]
    if not scores or not np.isfinite(typology.reference_silhouette_):
        return False
    best, band = max(scores), params.typology_hysteresis
    return bool(
        best >= typology.min_silhouette - band
        and best - typology.reference_silhouette_ >= typology.min_gain - band
    )


def _respect_membership(labels, names, features, model) -> np.ndarray:
    """Labels where no producer carries a code that misstates membership: the few
    non-members of a type named for members (and members of one named for non-members) go
    to their nearest type that they may carry."""
    member = features["associated"].to_numpy() > 0
    allowed = np.array([[compatible(code, m) for code in names] for m in (False, True)])
    wrong = ~allowed[member.astype(int), labels]
    if not wrong.any():
        return labels
    labels = labels.copy()
    X = model.named_steps["features"].transform(features.iloc[np.flatnonzero(wrong)])
    centers = model.named_steps["typology"].cluster_centers_
    distance = ((np.asarray(X)[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    distance = np.where(allowed[member[wrong].astype(int)], distance, np.inf)
    labels[wrong] = distance.argmin(axis=1)
    return labels


def _chain_types(fit_rows: pd.DataFrame, features: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """No clear typology: one type per value chain; labels and the profile with centroids
    (``features``: the rows' :func:`feature_frame`)."""
    labels, names = pd.factorize(fit_rows["value_chain"], sort=True)
    profile = describe(fit_rows, labels)
    centers = features.groupby(labels).mean().reindex(profile.index)
    profile[_center_columns()] = centers.to_numpy()
    profile.insert(0, "archetype", [f"{NO_TYPOLOGY}{SEPARATOR}{name}" for name in names])
    return labels, profile


def classify(producers: pd.DataFrame, params: MatchParams, previous=None):
    """Archetype per producer, the fitted model and the named profile of each type.

    Parameters
    ----------
    producers : DataFrame
        Producers with ``PRODUCER_COLUMNS`` (one country: types are named against them).
    params : MatchParams
        Uses ``min_productive_ha``, ``k_min``, ``k_max``, ``seed``,
        ``typology_min_silhouette``, ``typology_min_gain`` (and ``archetype_method`` if
        present, default "kmeans").
    previous : DataFrame or dict, optional
        The profile returned by the previous run, or its :func:`state`; its types keep their
        codes when matched and the code still fits.

    Returns
    -------
    labels : Series
        Archetype code per producer, index producer_id (``SUBSISTENCE`` under the threshold,
        ``"no_typology:<chain>"`` when the typology is not clear).
    model : Pipeline or None
        Preprocessor + :class:`TypologyModel`, fitted (its ``clear_`` says whether its types
        were used; when they were, ``model.predict(feature_frame(new))`` gives the row of
        ``profile``, its ``type``). None when too few producers were at or above the
        threshold to fit a typology.
    profile : DataFrame
        One row per type (index ``type``; -1 for subsistence): ``archetype`` code, the
        columns of :func:`describe` and the centroid in feature units (``center_*``).
    """
    area = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    above = area >= params.min_productive_ha
    fit_rows = producers.loc[above, INPUTS]  # not a copy of every column of 10M rows
    archetypes = np.full(len(producers), SUBSISTENCE, dtype=object)
    model = None
    parts = []
    if len(fit_rows) >= max(params.k_min, 2) + 1:
        features = feature_frame(fit_rows)
        model = Pipeline(
            [
                ("features", make_preprocessor()),
                (
                    "typology",
                    TypologyModel(
                        k_min=params.k_min,
                        k_max=params.k_max,
                        method=getattr(params, "archetype_method", "kmeans"),
                        random_state=params.seed,
                        min_silhouette=params.typology_min_silhouette,
                        min_gain=params.typology_min_gain,
                        column_groups=_column_groups(),
                    ),
                ),
            ]
        ).fit(features)
        typology = model.named_steps["typology"]
        if not typology.clear_ and _clear(typology, previous, params):
            typology.refine(model.named_steps["features"].transform(features))
            typology.clear_ = True
        if typology.clear_:
            labels = typology.labels_
            profile = describe(fit_rows, labels)
            profile = profile.reindex(range(typology.n_clusters_))
            profile["n"] = profile["n"].fillna(0).astype(int)
            centers = typology.cluster_centers_.copy()
            scaler = model.named_steps["features"].named_transformers_["numeric"]
            centers[:, : len(NUMERIC)] = centers[:, : len(NUMERIC)] * scaler.scale_ + scaler.mean_
            profile[_center_columns()] = centers
            names = _names(profile, previous, model, centers)
            moved = _respect_membership(labels, names, features, model)
            if moved is not labels:  # the profile of what each type finally holds
                labels = moved
                profile = describe(fit_rows, labels).reindex(range(typology.n_clusters_))
                profile["n"] = profile["n"].fillna(0).astype(int)
                profile[_center_columns()] = centers
            profile.insert(0, "archetype", names)
        else:
            labels, profile = _chain_types(fit_rows, features)
        archetypes[above] = profile["archetype"].to_numpy()[labels]
        parts.append(profile)
    elif above.any():  # too few to type: one group, named by the rules
        profile = describe(fit_rows, np.zeros(len(fit_rows), dtype=int))
        profile.insert(0, "archetype", name_types(profile))
        archetypes[above] = profile["archetype"].iloc[0]
        parts.append(profile)
    if (~above).any():
        sub = describe(producers.loc[~above, INPUTS], np.full(int((~above).sum()), -1))
        sub.insert(0, "archetype", SUBSISTENCE)
        parts.insert(0, sub)
    profile = pd.concat(parts) if parts else pd.DataFrame(columns=["archetype", *PROFILE_COLUMNS])
    labels = pd.Series(
        archetypes,
        index=pd.Index(producers["producer_id"].to_numpy(), name="producer_id"),
        name="archetype",
    )
    return labels, model, profile


def state(model, profile: pd.DataFrame | None = None) -> dict:
    """JSON-friendly memory of a run (codes and centroids) to pass as ``previous`` next time."""
    columns = _center_columns()
    if model is None or profile is None or not set(columns) <= set(profile.columns):
        return {}
    typed = profile[profile["archetype"] != SUBSISTENCE].dropna(subset=columns)
    return {
        "columns": list(COLUMNS),
        "names": typed["archetype"].tolist(),
        "centers": typed[columns].to_numpy(dtype=float).tolist(),
    }


def _previous_frame(previous) -> pd.DataFrame | None:
    """The previous run as a frame with ``archetype`` and ``center_*`` (from a profile or state)."""
    if previous is None or isinstance(previous, pd.DataFrame):
        return previous
    if not previous or list(previous.get("columns", [])) != list(COLUMNS):
        return None
    frame = pd.DataFrame(previous["centers"], columns=_center_columns())
    frame.insert(0, "archetype", previous["names"])
    return frame


def _names(profile, previous, model, centers) -> list[str]:
    """Codes by what sets each type apart; a type matched to the previous run's keeps that
    run's code while the code still fits it (hysteresis, :func:`still_fits`)."""
    columns = _center_columns()
    previous = _previous_frame(previous)
    if previous is None or not set(columns) <= set(previous.columns):
        return name_types(profile)
    previous = previous.dropna(subset=columns)
    previous = previous[previous["archetype"] != SUBSISTENCE]
    if previous.empty:
        return name_types(profile)
    # compare both runs' centroids in this run's standardised space
    pre = model.named_steps["features"]
    old = pre.transform(pd.DataFrame(previous[columns].to_numpy(), columns=COLUMNS))
    new = pre.transform(pd.DataFrame(centers, columns=COLUMNS))
    match = align(old, new)
    rows = list(profile.itertuples())
    kept = {
        i: previous["archetype"].iloc[j]
        for i, j in enumerate(match)
        if j >= 0 and still_fits(previous["archetype"].iloc[j], rows[i])
    }
    fresh = [i for i in range(len(profile)) if i not in kept]
    fresh_names = name_types(profile.iloc[fresh], taken=set(kept.values())) if fresh else []
    names = dict(kept) | dict(zip(fresh, fresh_names, strict=True))
    return [names[i] for i in range(len(profile))]


def classifier_state(model, fit_rows: pd.DataFrame) -> dict:
    """What classifying new producers needs, as plain JSON: the standardisation and the
    medians that filled unknown values when the typology was fitted."""
    if model is None:
        return {}
    scaler = model.named_steps["features"].named_transformers_["numeric"]
    return {
        "columns": list(COLUMNS),
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "medians": feature_medians(fit_rows),
    }


def assign(
    producers: pd.DataFrame, archetypes_state: list[dict], classifier: dict, params: MatchParams
) -> pd.Series:
    """Archetype of producers who joined after a run, from that run's stored state.

    The nearest centroid in the fitted standardised space, which is what the fitted k-means
    predicts, among the types the producer may carry (a producer outside a cooperative never
    gets a type of members only); when the run found no clear typology, the value chain's
    type; under the area threshold, ``SUBSISTENCE``. Index producer_id.
    """
    index = pd.Index(producers["producer_id"].to_numpy(), name="producer_id")
    names = np.full(len(producers), SUBSISTENCE, dtype=object)
    area = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    above = area >= params.min_productive_ha
    typed = [row for row in archetypes_state if row.get("archetype") != SUBSISTENCE]
    if above.any() and any(parse_code(row["archetype"]).type == NO_TYPOLOGY for row in typed):
        chains = producers.loc[above, "value_chain"].astype(str).to_numpy()
        names[above] = np.char.add(f"{NO_TYPOLOGY}{SEPARATOR}", chains.astype(str))
    elif above.any() and typed and classifier.get("columns") == list(COLUMNS):
        columns = _center_columns()
        centers = np.array([[row[c] for c in columns] for row in typed], dtype=float)
        features = np.array(feature_frame(producers.loc[above], classifier["medians"]), float)
        mean, scale = np.array(classifier["mean"]), np.array(classifier["scale"])
        n = len(NUMERIC)
        for matrix in (features, centers):
            matrix[:, :n] = (matrix[:, :n] - mean) / scale
        distance = ((features[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        codes = [row["archetype"] for row in typed]
        member = as_flag(producers.loc[above, "associated"])
        allowed = np.array([[compatible(c, m) for c in codes] for m in (False, True)])
        distance = np.where(allowed[member.astype(int)], distance, np.inf)
        names[above] = np.array(codes, dtype=object)[distance.argmin(axis=1)]
    return pd.Series(names, index=index, name="archetype")
