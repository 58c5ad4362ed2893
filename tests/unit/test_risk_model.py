"""The breach-risk model on small hand-made histories: features at a moment, the time split, model vs baseline."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from predictions.features import at_moment, training_moments, unit_figures
from predictions.risk import Baseline, calibration_table, time_split, train

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def life(i, unit="water", category="water_leak", registered=T0, hours=24.0, resolved_after=None, **extra):
    row = {"id": i, "number": f"N{i}", "category_code": category, "variant": "", "channel": "hotline",
           "lead_department_code": unit, "complexity": "normal", "priority": 3, "state": "closed",
           "registered_at": registered, "dispatched_at": registered + timedelta(minutes=10), "on_site_at": None,
           "resolved_at": None if resolved_after is None else registered + timedelta(hours=resolved_after),
           "arrival_due_at": None, "resolve_due_at": registered + timedelta(hours=hours)}
    row.update(extra)
    return row


def test_a_unit_load_and_on_time_rate_are_counted_at_the_moment():
    lives = pd.DataFrame([life(1, resolved_after=2), life(2, resolved_after=30),
                          life(3, registered=T0 + timedelta(hours=1), resolved_after=50),
                          life(4, unit="gas", resolved_after=1)])
    at = pd.Series([T0 + timedelta(hours=1, minutes=30), T0 + timedelta(hours=40)])
    ns = pd.to_datetime(at, utc=True).dt.tz_localize(None).to_numpy().astype("datetime64[ns]").view("int64")
    load, rate = unit_figures(lives, np.array(["water", "water"]), ns)
    # at 01:30 tickets 1, 2, 3 are open and nothing was resolved yet; at 40 h only 3 is open, 1 was on time, 2 late
    assert load.tolist() == [3, 1]
    assert np.isnan(rate[0]) and rate[1] == pytest.approx(0.5)


def test_training_moments_keep_only_open_moments_and_label_the_late_ones():
    now = T0 + timedelta(days=10)
    lives = pd.DataFrame([life(1, resolved_after=5), life(2, resolved_after=30),
                          life(3, registered=now - timedelta(hours=2))])        # open, due ahead: no label yet
    moments = training_moments(lives, "resolve", now)
    # ticket 1 (resolved after 5 h of 24) is seen at registration only; ticket 2 at 0, 6, 12 and 18 h, all late
    assert sorted(moments.groupby("number").size().items()) == [("N1", 1), ("N2", 4)]
    assert moments.set_index("number")["late"].groupby(level=0).all().to_dict() == {"N1": False, "N2": True}


def test_features_say_how_far_the_ticket_has_got():
    lives = pd.DataFrame([life(1, resolved_after=30)])
    rows = lives.assign(seen_at=T0 + timedelta(hours=12))
    out = at_moment(rows, "resolve", lives, TZ).iloc[0]
    assert (out["hours_left"], out["elapsed_share"], out["dispatched"], out["hour"]) == (12.0, 0.5, 1.0, 20)


def history(n: int, seed: int = 1) -> pd.DataFrame:
    """The heating unit misses half its deadlines at night, the water unit almost never: a learnable pattern."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        registered = T0 + timedelta(hours=float(rng.uniform(0, 24 * 120)))
        unit = "heat" if rng.random() < 0.5 else "water"
        night = registered.astimezone(TZ).hour >= 18
        late = rng.random() < (0.6 if unit == "heat" and night else 0.03)
        rows.append(life(i, unit=unit, category="heating_cold" if unit == "heat" else "water_leak",
                         registered=registered, resolved_after=30.0 if late else 5.0))
    return pd.DataFrame(rows)


def frame(n: int, seed: int = 1) -> pd.DataFrame:
    lives = history(n, seed)
    now = T0 + timedelta(days=200)
    return at_moment(training_moments(lives, "resolve", now), "resolve", lives, TZ)


def test_the_model_beats_the_unit_baseline_when_the_hour_matters():
    model = train(frame(1500), "resolve", T0 + timedelta(days=200))
    m = model.metrics
    assert model.use == "model"
    assert m["model"]["brier"] < m["baseline"]["brier"] and m["model"]["auc"] > m["baseline"]["auc"] + 0.05
    night = frame(300, seed=9)
    night = night[(night["lead_department_code"] == "heat") & (night["elapsed_share"] == 0)]
    p = model.predict(night)
    assert p[night["hour"].to_numpy() >= 18].mean() > 2 * p[night["hour"].to_numpy() < 18].mean()


def test_the_test_months_come_after_the_training_months():
    train_rows, test_rows = time_split(frame(500))
    assert train_rows["seen_at"].max() < test_rows["seen_at"].min()
    assert 0.15 < len(test_rows) / (len(train_rows) + len(test_rows)) < 0.25


def test_too_small_a_history_falls_back_to_the_baseline():
    model = train(frame(20), "resolve", T0 + timedelta(days=200))
    assert (model.use, model.model) == ("baseline", None)
    assert model.predict(frame(20)).shape == (len(frame(20)),)


def test_the_baseline_is_the_units_late_rate_for_the_category():
    rows = pd.DataFrame({"lead_department_code": ["a", "a", "a", "b"], "category_code": ["x", "x", "x", "x"],
                         "late": [True, False, False, True]})
    baseline = Baseline.fit(rows)
    unseen = pd.DataFrame({"lead_department_code": ["a", "c"], "category_code": ["x", "y"]})
    assert baseline.predict(unseen).tolist() == pytest.approx([1 / 3, 0.5])


def test_calibration_table_compares_predicted_and_observed_shares():
    table = calibration_table(np.array([0, 0, 1, 1]), np.array([0.05, 0.15, 0.85, 0.95]), bins=2)
    assert [(r["n"], r["observed"]) for r in table] == [(2, 0.0), (2, 1.0)]
