"""Tomorrow's hotspots on hand-made counts: no look-ahead, the baselines as defined, a learnable pattern found."""
from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from predictions.hotspots import (DailyCounts, features_for_day, group_of, group_split, poisson_deviance,
                                  top_hits, train)

FIRST = date(2026, 1, 1)


def counts(matrix: np.ndarray) -> DailyCounts:
    return DailyCounts([f"G{i}" for i in range(matrix.shape[0])], FIRST, matrix.astype(float),
                       np.zeros_like(matrix, dtype=float), {"房屋及其他": matrix.astype(float)})


def test_a_days_features_never_read_that_day_or_the_day_before():
    m = np.arange(40, dtype=float)[None, :].repeat(2, axis=0)          # day d holds the count d
    f = features_for_day(counts(m), 30)
    assert f["lag7"].tolist() == [23.0, 23.0]                            # same weekday last week
    assert f["mean7"].tolist() == [np.mean(range(22, 29))] * 2            # days 22..28: up to d-2
    assert f["district_prev1"].iloc[0] == 2 * 28
    changed = m.copy()
    changed[:, 29:] = 999                                                # yesterday and today unknown
    assert features_for_day(counts(changed), 30).equals(f)


def test_rows_become_a_cells_by_days_matrix_with_groups():
    rows = pd.DataFrame({"grid_code": ["G0", "G0", "G1", "GX"], "day": [FIRST, FIRST, date(2026, 1, 2), FIRST],
                         "category_code": ["heating_cold", "noise", "water_leak", "noise"], "n": [2, 1, 3, 9]})
    data = DailyCounts.from_rows(rows, ["G0", "G1"], FIRST, date(2026, 1, 3))
    assert data.counts.tolist() == [[3, 0, 0], [0, 3, 0]]
    assert data.heating.tolist() == [[2, 0, 0], [0, 0, 0]]
    assert data.groups["水电气"].tolist() == [[0, 0, 0], [0, 3, 0]]
    assert group_of("unknown_code") == "房屋及其他"


def test_top_hits_count_the_real_top_cells_named():
    actual = np.array([5, 4, 0, 0, 3])
    assert top_hits(actual, np.array([9, 0, 0, 0, 8]), top=2) == 1
    assert top_hits(actual, actual, top=3) == 3
    assert top_hits(np.zeros(5), actual, top=3) == 0                   # no real hotspot: nothing to name


def test_poisson_deviance_prefers_the_right_mean_to_zero():
    actual = np.array([0, 0, 0, 1])
    assert poisson_deviance(actual, np.full(4, 0.25)) < poisson_deviance(actual, np.zeros(4))


def test_a_weekly_hotspot_is_learnt_and_beats_both_baselines():
    rng = np.random.default_rng(3)
    days, cells = 120, 60
    base = rng.poisson(0.2, (cells, days)).astype(float)
    for d in range(days):                                                # cell 0..4 are busy on Mondays only
        if (FIRST.toordinal() + d) % 7 == 0:
            base[:5, d] += rng.poisson(6, 5)
    model = train(counts(base), datetime(2026, 5, 1, tzinfo=timezone.utc))
    m = model.metrics
    assert m["mae_per_cell"]["model"] < m["mae_per_cell"]["trailing_4_weeks"]
    assert m["poisson_deviance"]["model"] < m["poisson_deviance"]["same_day_last_week"]
    assert m["use"] == "model"


def test_too_short_a_history_trains_nothing():
    assert train(counts(np.zeros((3, 40))), datetime(2026, 3, 1, tzinfo=timezone.utc)) is None


def test_the_split_by_kind_follows_the_cells_recent_mix():
    data = DailyCounts(["A", "B"], FIRST, np.zeros((2, 30)), np.zeros((2, 30)),
                       {"供暖": np.array([[3.0] * 30, [0.0] * 30]), "邻里治安": np.array([[1.0] * 30, [0.0] * 30])})
    split = group_split(data, np.array([4.0, 2.0]))
    assert split["供暖"][0] == pytest.approx(3.0) and split["邻里治安"][0] == pytest.approx(1.0)
    assert split["供暖"][1] == pytest.approx(1.5)                         # no history: the district's mix
