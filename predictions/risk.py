"""Will this open ticket miss its deadline? Calibrated probabilities for the arrival and the resolution deadline.

A training row is a ticket seen at one moment of its open life (geo/predictions.py takes each historical ticket at
registration and at a quarter, half and three quarters of its allowed time, while it was still open), with what was
known then: category, variant, channel, priority, complexity, the local hour it was registered and the hour, weekday
and month it is seen at, hours left to the deadline,
the share of its time already used, how far it had got (dispatched, on site), its unit's open load and the unit's
on-time rate over the 30 days before. The label is whether that deadline was then missed.

The model is gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, categories native) whose scores
are calibrated by isotonic regression on the latest part of the training months, so that "0.7" means seven in ten.
It is judged on later months it never saw (a time split), by Brier score and ROC AUC, against the plain rule it
would replace: the unit's historical late rate for that category (the baseline). Whichever is better on the test
months is what the screens show, and they say which.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_auc_score

CATEGORICAL = ("category_code", "variant", "channel", "lead_department_code", "complexity")
NUMERIC = ("priority", "registered_hour", "hour", "weekday", "month", "hours_left", "elapsed_share", "dispatched", "on_site",
           "unit_open_load", "unit_on_time_rate")
FEATURES = CATEGORICAL + NUMERIC
KINDS = ("arrival", "resolve")
MIN_ROWS = 200          # below this per kind, no model: the baseline alone


@dataclass
class Baseline:
    """The unit's historical late rate for the category (then the category's, then everyone's)."""
    by_unit_category: dict[tuple[str, str], float] = field(default_factory=dict)
    by_category: dict[str, float] = field(default_factory=dict)
    overall: float = 0.0

    @classmethod
    def fit(cls, rows: pd.DataFrame) -> "Baseline":
        late = rows.groupby(["lead_department_code", "category_code"])["late"].mean()
        return cls({k: float(v) for k, v in late.items()},
                   {k: float(v) for k, v in rows.groupby("category_code")["late"].mean().items()},
                   float(rows["late"].mean()) if len(rows) else 0.0)

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.array([self.by_unit_category.get((d, c), self.by_category.get(c, self.overall))
                         for d, c in zip(rows["lead_department_code"], rows["category_code"])], dtype=float)


@dataclass
class RiskModel:
    kind: str
    version: str
    trained_at: datetime
    baseline: Baseline
    model: object | None            # calibrated classifier, or None when the baseline is used
    categories: dict[str, list[str]]
    metrics: dict
    use: str                        # "model" or "baseline": what the screens show

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        if self.use == "baseline" or self.model is None or rows.empty:
            return self.baseline.predict(rows) if not rows.empty else np.zeros(0)
        return self.model.predict_proba(encode(rows, self.categories))[:, 1]


def encode(rows: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """The feature frame in a fixed column order; categories as pandas categoricals with the training levels."""
    out = pd.DataFrame(index=rows.index)
    for name in CATEGORICAL:
        values = rows[name].fillna("").astype(str)
        # a level the training never saw (a new category) is "unknown" to the trees, not an error
        out[name] = pd.Categorical(values.where(values.isin(categories[name])), categories=categories[name])
    for name in NUMERIC:
        out[name] = pd.to_numeric(rows[name], errors="coerce").astype(float)
    return out


def time_split(rows: pd.DataFrame, test_share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earlier moments to train on, the latest ``test_share`` of the span to test on (never shuffled)."""
    cut = rows["seen_at"].quantile(1 - test_share)
    return rows[rows["seen_at"] < cut], rows[rows["seen_at"] >= cut]


def _score(y: np.ndarray, p: np.ndarray) -> dict:
    both = len(set(y.tolist())) > 1
    return {"brier": round(float(brier_score_loss(y, p)), 5),
            "auc": round(float(roc_auc_score(y, p)), 4) if both else None}


def _fit_calibrated(train: pd.DataFrame, categories: dict[str, list[str]], seed: int):
    # The latest quarter of the training months calibrates the trees fitted on the earlier ones, so calibration
    # too is judged on moments later than what it learned from.
    fit_part, calib_part = time_split(train, 0.25)
    trees = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=31,
                                           categorical_features="from_dtype", random_state=seed)
    trees.fit(encode(fit_part, categories), fit_part["late"].astype(int))
    calibrated = CalibratedClassifierCV(FrozenEstimator(trees), method="isotonic")
    calibrated.fit(encode(calib_part, categories), calib_part["late"].astype(int))
    return calibrated


def train(rows: pd.DataFrame, kind: str, now: datetime, seed: int = 96715) -> RiskModel:
    """Train on the earlier moments, judge on the later ones, then refit on everything for use."""
    version = f"{kind}-{now:%Y%m%dT%H%M%S}"
    categories = {name: sorted(rows[name].fillna("").astype(str).unique().tolist()) for name in CATEGORICAL}
    if len(rows) < MIN_ROWS or rows["late"].nunique() < 2:
        baseline = Baseline.fit(rows)
        return RiskModel(kind, version, now, baseline, None, categories,
                         {"rows": int(len(rows)), "note": "too few rows or one outcome only: baseline"}, "baseline")
    train_rows, test_rows = time_split(rows)
    y = test_rows["late"].astype(int).to_numpy()
    baseline_then = Baseline.fit(train_rows)
    model_then = _fit_calibrated(train_rows, categories, seed)
    p_model = model_then.predict_proba(encode(test_rows, categories))[:, 1]
    metrics = {"rows": int(len(rows)), "train_rows": int(len(train_rows)), "test_rows": int(len(test_rows)),
               "test_from": test_rows["seen_at"].min().isoformat(), "late_share_test": round(float(y.mean()), 4),
               "model": _score(y, p_model), "baseline": _score(y, baseline_then.predict(test_rows)),
               "calibration": calibration_table(y, p_model)}
    use = "model" if metrics["model"]["brier"] < metrics["baseline"]["brier"] else "baseline"
    return RiskModel(kind, version, now, Baseline.fit(rows), _fit_calibrated(rows, categories, seed), categories,
                     metrics, use)


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Observed late share per predicted-probability decile: how far "0.7" is from seven in ten."""
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if mask.any():
            table.append({"from": round(lo, 2), "to": round(hi, 2), "n": int(mask.sum()),
                          "predicted": round(float(p[mask].mean()), 3), "observed": round(float(y[mask].mean()), 3)})
    return table
