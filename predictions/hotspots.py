"""Tomorrow's hotspots: how many tickets each grid cell will bring in the next day, and of which kind.

Counts live in a cells × days matrix (local days). For a cell and a day the features are what is known the evening
before: the same weekday last week, the last 7 and 28 days' means, the cell's mean over all earlier days, the
weekday and the month, and two district-wide signals of the weather — yesterday's total and the last three days'
heating complaints (cold spells show there first; the model reads the history only, never the demand generator's
climate). A Poisson gradient-boosted regressor learns the count from them.

It is judged on the last held-out weeks against the two plain forecasts a duty officer would use (same day last
week; the trailing 4-week mean): mean absolute error per cell and day, the mean Poisson deviance (MAE alone
rewards forecasting zero everywhere when most cells see no ticket on most days), and how many of the day's real
top-20 cells each names among its own top 20. The split by kind is the cell's last-28-day mix of category groups applied to its
forecast total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

GROUPS: dict[str, tuple[str, ...]] = {
    "供暖": ("heating_cold",),
    "水电气": ("water_leak", "power_fault", "gas_leak"),
    "市容环境": ("sanitation", "road_damage", "streetlight", "greening"),
    "邻里治安": ("noise", "neighbour_dispute", "public_security"),
    "房屋及其他": ("housing_repair", "other"),
}
OTHER_GROUP = "房屋及其他"
HEATING = "heating_cold"
FEATURES = ("lag7", "mean7", "mean28", "mean_all", "weekday", "month", "district_prev1", "heating_prev3")
HISTORY_DAYS = 35           # the least history a forecast needs (28-day mean + a week)
TEST_DAYS = 28
GAP = 2                     # day d is forecast from the days up to d-2: tomorrow's from those up to yesterday
TOP = 20


def group_of(category: str) -> str:
    return next((g for g, codes in GROUPS.items() if category in codes), OTHER_GROUP)


@dataclass
class DailyCounts:
    """counts[c, d]: tickets of cell ``cells[c]`` on local day ``first + d``; ``heating`` the same of heating."""
    cells: list[str]
    first: date
    counts: np.ndarray
    heating: np.ndarray
    groups: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: pd.DataFrame, cells: list[str], first: date, last: date) -> "DailyCounts":
        """``rows``: grid_code, day, category_code, n (geo/predictions.py daily_cell_counts)."""
        days = (last - first).days + 1
        index = {c: i for i, c in enumerate(cells)}
        counts, heating = np.zeros((len(cells), days)), np.zeros((len(cells), days))
        groups = {g: np.zeros((len(cells), days)) for g in GROUPS}
        for grid, day, category, n in rows[["grid_code", "day", "category_code", "n"]].itertuples(index=False):
            c, d = index.get(grid), (day - first).days
            if c is None or not 0 <= d < days:
                continue
            counts[c, d] += n
            groups[group_of(category)][c, d] += n
            if category == HEATING:
                heating[c, d] += n
        return cls(cells, first, counts, heating, groups)

    @property
    def days(self) -> int:
        return self.counts.shape[1]


def _window_mean(cum: np.ndarray, d: int, width: int) -> np.ndarray:
    lo = max(d - width, 0)
    return (cum[:, d] - cum[:, lo]) / max(d - lo, 1)


def features_for_day(data: DailyCounts, d: int) -> pd.DataFrame:
    """Features of every cell for day index ``d``, from the complete days up to ``d - GAP`` only (a forecast for
    tomorrow is made from the days up to yesterday; today is not over yet)."""
    known = min(d - GAP + 1, data.days)            # days [0, known) are known
    cum = np.concatenate([np.zeros((len(data.cells), 1)), np.cumsum(data.counts[:, :known], axis=1)], axis=1)
    day = data.first + timedelta(days=d)
    district = data.counts[:, :known].sum(axis=0)
    heating = data.heating[:, :known].sum(axis=0)
    zeros = np.zeros(len(data.cells))
    return pd.DataFrame({
        "lag7": data.counts[:, d - 7] if 0 <= d - 7 < known else zeros,
        "mean7": _window_mean(cum, known, 7), "mean28": _window_mean(cum, known, 28),
        "mean_all": cum[:, known] / max(known, 1),
        "weekday": day.weekday(), "month": day.month,
        "district_prev1": district[known - 1] if known >= 1 else 0.0,
        "heating_prev3": heating[max(known - 3, 0):known].sum(),
    })


def training_frame(data: DailyCounts, days: range) -> tuple[pd.DataFrame, np.ndarray]:
    frames = [features_for_day(data, d) for d in days]
    target = np.concatenate([data.counts[:, d] for d in days])
    return pd.concat(frames, ignore_index=True), target


@dataclass
class HotspotModel:
    version: str
    trained_at: datetime
    model: HistGradientBoostingRegressor
    metrics: dict

    def forecast(self, data: DailyCounts, d: int | None = None) -> np.ndarray:
        """Expected tickets per cell on day index ``d`` (default: the day after tomorrow's eve — with ``data``
        ending yesterday, that is tomorrow)."""
        d = data.days + GAP - 1 if d is None else d
        features = features_for_day(data, d)
        if self.metrics.get("use") == "baseline":      # the better plain forecast, as judged
            dev = self.metrics["poisson_deviance"]
            plain = "lag7" if dev["same_day_last_week"] <= dev["trailing_4_weeks"] else "mean28"
            return features[plain].to_numpy(dtype=float)
        return np.clip(self.model.predict(features[list(FEATURES)]), 0, None)


def _fit(frame: pd.DataFrame, target: np.ndarray, seed: int) -> HistGradientBoostingRegressor:
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=150, learning_rate=0.08, max_leaf_nodes=31,
                                          random_state=seed)
    return model.fit(frame[list(FEATURES)], target)


def poisson_deviance(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean Poisson deviance per cell: MAE rewards forecasting 0 for sparse counts (the median), this rewards the
    right expected count; a forecast of exactly 0 is floored at 0.01 tickets so that a ticket there is costly."""
    mu = np.maximum(predicted, 0.01)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(actual > 0, actual * np.log(actual / mu), 0.0)
    return float(np.mean(2 * (term - (actual - mu))))


def top_hits(actual: np.ndarray, predicted: np.ndarray, top: int = TOP) -> int:
    """How many of the real top cells of the day the forecast names among its own top (ties broken by order)."""
    real = set(np.argsort(-actual, kind="stable")[:top][actual[np.argsort(-actual, kind="stable")[:top]] > 0])
    named = set(np.argsort(-predicted, kind="stable")[:top])
    return len(real & named)


def train(data: DailyCounts, now: datetime, seed: int = 96715) -> HotspotModel | None:
    """Judge on the last TEST_DAYS days against both baselines, then refit on every day for use."""
    if data.days < HISTORY_DAYS + TEST_DAYS:
        return None
    first_test = data.days - TEST_DAYS
    frame, target = training_frame(data, range(30, first_test))
    judged = _fit(frame, target, seed)
    scores = {"model": [], "same_day_last_week": [], "trailing_4_weeks": []}
    deviance = {k: [] for k in scores}
    hits = {k: [] for k in scores}
    real_top = []
    for d in range(first_test, data.days):
        features = features_for_day(data, d)
        actual = data.counts[:, d]
        guesses = {"model": np.clip(judged.predict(features[list(FEATURES)]), 0, None),
                   "same_day_last_week": features["lag7"].to_numpy(), "trailing_4_weeks": features["mean28"].to_numpy()}
        for name, guess in guesses.items():
            scores[name].append(float(np.abs(guess - actual).mean()))
            deviance[name].append(poisson_deviance(actual, guess))
            hits[name].append(top_hits(actual, guess))
        real_top.append(int(min(TOP, (actual > 0).sum())))
    metrics = {"cells": len(data.cells), "train_days": first_test - 30, "test_days": TEST_DAYS,
               "test_from": (data.first + timedelta(days=first_test)).isoformat(),
               "mean_tickets_per_day": round(float(data.counts[:, first_test:].sum(axis=0).mean()), 1),
               "mae_per_cell": {k: round(float(np.mean(v)), 4) for k, v in scores.items()},
               "poisson_deviance": {k: round(float(np.mean(v)), 4) for k, v in deviance.items()},
               "top20_hits": {k: round(float(np.mean(v)), 2) for k, v in hits.items()},
               "top20_possible": round(float(np.mean(real_top)), 2)}
    # Chosen by the deviance, the score for an expected count; MAE and the top-20 hits are reported beside it.
    dev = metrics["poisson_deviance"]
    metrics["use"] = "model" if dev["model"] < min(dev["same_day_last_week"], dev["trailing_4_weeks"]) else "baseline"
    frame, target = training_frame(data, range(30, data.days))
    return HotspotModel(f"hotspot-{now:%Y%m%dT%H%M%S}", now, _fit(frame, target, seed), metrics)


def group_split(data: DailyCounts, expected: np.ndarray) -> dict[str, np.ndarray]:
    """The forecast per cell split by the cell's mix of groups over the last 28 days (the district's where none)."""
    recent = {g: m[:, -28:].sum(axis=1) for g, m in data.groups.items()}
    total = sum(recent.values())
    district = {g: v.sum() for g, v in recent.items()}
    district_total = sum(district.values()) or 1.0
    return {g: expected * np.where(total > 0, v / np.maximum(total, 1), district[g] / district_total)
            for g, v in recent.items()}
