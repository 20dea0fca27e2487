"""Farm typology: k-means (or a Gaussian mixture) on standardised features, k by silhouette.

Each type is described by its profile in real units and given a code (``"agroforestry:cacao"``,
see :mod:`matching.profiles`) by the rules of :func:`name_types`; the application names codes
in its users' language. Codes stay stable between runs: new centroids are matched to the
previous run's (Hungarian assignment, :func:`align`) and a matched type keeps its previous
code. Producers under the area threshold get ``SUBSISTENCE`` (technical assistance, not
credit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from matching.features import (
    COLUMNS,
    NUMERIC,
    feature_frame,
    feature_medians,
    make_preprocessor,
)
from matching.profiles import PROFILE_COLUMNS, align, describe, name_types
from matching.types import SUBSISTENCE, MatchParams


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
    labels_ : ndarray of shape (n_samples,)
        Type of each training row, 0 .. n_clusters_ - 1.
    estimator_ : KMeans or GaussianMixture
        The fitted model of the chosen k.
    """

    def __init__(
        self, k_min=3, k_max=8, method="kmeans", random_state=None, sample_size=5_000, n_init=3
    ):
        self.k_min = k_min
        self.k_max = k_max
        self.method = method
        self.random_state = random_state
        self.sample_size = sample_size
        self.n_init = n_init

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
        if sample is not None and self.method == "kmeans":  # refine k-means on all rows
            best = self._fit_quietly(self._model(self._k(best), seed, self._centers(best)), X)

        self.estimator_ = best
        self.cluster_centers_ = self._centers(best)
        self.n_clusters_ = self.cluster_centers_.shape[0]
        self.labels_ = best.predict(X)
        self.silhouettes_ = scores
        self.silhouette_ = (
            best_score if sample is None else self._score(distances, self.labels_[sample])
        )
        return self

    def _choose_k(self, Xs, seed):
        """Fit every k on the sample; the best model by silhouette, its score, all scores."""
        distances = pairwise_distances(Xs)  # one matrix serves the silhouette of every k
        best, best_score, scores = None, -np.inf, {}
        for k in range(self.k_min, min(self.k_max, Xs.shape[0] - 1) + 1):
            model = self._fit_quietly(self._model(k, seed), Xs)
            labels = model.predict(Xs)
            if np.unique(labels).size < 2:
                scores[k] = np.nan
                continue
            scores[k] = float(silhouette_score(distances, labels, metric="precomputed"))
            if scores[k] > best_score:
                best, best_score = model, scores[k]
        return best, best_score, scores, distances

    @staticmethod
    def _k(model):
        return model.n_clusters if isinstance(model, KMeans) else model.n_components

    @staticmethod
    def _centers(model):
        return (model.cluster_centers_ if isinstance(model, KMeans) else model.means_).copy()

    @staticmethod
    def _score(distances, labels):
        if np.unique(labels).size < 2:
            return np.nan
        return float(silhouette_score(distances, labels, metric="precomputed"))

    def predict(self, X):
        """Type of each row, with the fitted model."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self.estimator_.predict(X)


def _center_columns() -> list[str]:
    return [f"center_{c}" for c in COLUMNS]


def classify(producers: pd.DataFrame, params: MatchParams, previous=None):
    """Archetype per producer, the fitted model and the named profile of each type.

    Parameters
    ----------
    producers : DataFrame
        Producers with ``PRODUCER_COLUMNS``.
    params : MatchParams
        Uses ``min_productive_ha``, ``k_min``, ``k_max``, ``seed`` (and ``archetype_method``
        if present, default "kmeans").
    previous : DataFrame or dict, optional
        The profile returned by the previous run, or its :func:`state`; its types keep their
        codes when matched.

    Returns
    -------
    labels : Series
        Archetype code per producer, index producer_id (``SUBSISTENCE`` under the threshold).
    model : Pipeline or None
        Preprocessor + :class:`TypologyModel`, fitted; ``model.predict(feature_frame(new))``
        gives the row of ``profile`` (its ``type``) for new producers. None when too few
        producers were at or above the threshold to fit a typology.
    profile : DataFrame
        One row per type (index ``type``; -1 for subsistence): ``archetype`` code, the
        columns of :func:`describe` and the centroid in feature units (``center_*``).
    """
    area = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    above = area >= params.min_productive_ha
    fit_rows = producers.loc[above]
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
                    ),
                ),
            ]
        ).fit(features)
        typology = model.named_steps["typology"]
        profile = describe(fit_rows, typology.labels_)
        profile = profile.reindex(range(typology.n_clusters_))
        profile["n"] = profile["n"].fillna(0).astype(int)
        centers = typology.cluster_centers_.copy()
        scaler = model.named_steps["features"].named_transformers_["numeric"]
        centers[:, : len(NUMERIC)] = centers[:, : len(NUMERIC)] * scaler.scale_ + scaler.mean_
        profile[_center_columns()] = centers
        profile.insert(0, "archetype", _names(profile, previous, model, centers))
        archetypes[above] = profile["archetype"].to_numpy()[typology.labels_]
        parts.append(profile)
    elif above.any():  # too few to type: one group, named by the rules
        profile = describe(fit_rows, np.zeros(len(fit_rows), dtype=int))
        profile.insert(0, "archetype", name_types(profile))
        archetypes[above] = profile["archetype"].iloc[0]
        parts.append(profile)
    if (~above).any():
        sub = describe(producers.loc[~above], np.full(int((~above).sum()), -1))
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
    """Rule codes, replaced by the previous run's code for each type matched to it."""
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
    kept = {i: previous["archetype"].iloc[j] for i, j in enumerate(match) if j >= 0}
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
    predicts; under the area threshold, ``SUBSISTENCE``. Index producer_id.
    """
    index = pd.Index(producers["producer_id"].to_numpy(), name="producer_id")
    names = np.full(len(producers), SUBSISTENCE, dtype=object)
    area = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    above = area >= params.min_productive_ha
    typed = [row for row in archetypes_state if row.get("archetype") != SUBSISTENCE]
    if above.any() and typed and classifier.get("columns") == list(COLUMNS):
        columns = _center_columns()
        centers = np.array([[row[c] for c in columns] for row in typed], dtype=float)
        features = np.array(feature_frame(producers.loc[above], classifier["medians"]), float)
        mean, scale = np.array(classifier["mean"]), np.array(classifier["scale"])
        n = len(NUMERIC)
        for matrix in (features, centers):
            matrix[:, :n] = (matrix[:, :n] - mean) / scale
        distance = ((features[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        names[above] = np.array([row["archetype"] for row in typed], dtype=object)[
            distance.argmin(axis=1)
        ]
    return pd.Series(names, index=index, name="archetype")
