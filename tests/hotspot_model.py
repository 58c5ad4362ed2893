"""A stored hotspot model trained on made-up counts in which one grid cell is the district's hotspot every day,
stored as `python -m etl train` stores one (for the forecast's integration and browser tests)."""
from __future__ import annotations

import pickle
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator

import numpy as np
from sqlalchemy import text

from geo import predictions as predictions_db
from predictions.hotspots import DailyCounts, train

HOTSPOT_INDEX = 7


@contextmanager
def stored_hotspot_model(engine) -> Iterator[str]:
    """Yields the hotspot cell's code; the model is removed afterwards."""
    with engine.connect() as conn:
        cells = [g["code"] for g in predictions_db.grid_names(conn)]
    rng = np.random.default_rng(5)
    matrix = rng.poisson(0.05, (len(cells), 90)).astype(float)
    matrix[HOTSPOT_INDEX] += 6
    when = datetime(2001, 4, 1, tzinfo=timezone.utc)
    model = train(DailyCounts(cells, date(2001, 1, 1), matrix, np.zeros_like(matrix), {"供暖": matrix}), when)
    with engine.begin() as conn:
        predictions_db.save_model(conn, "hotspot", model.version, when, model.metrics["use"], "{}",
                                  pickle.dumps(model))
    try:
        yield cells[HOTSPOT_INDEX]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM prediction_models WHERE version = :v"), {"v": model.version})
