"""Breach risk of open tickets: train from the stored history, keep the models in PostGIS, score every open ticket.

``train_models`` (``python -m etl train``) fits one model per deadline kind (predictions/risk.py), judges it on the
latest months against the unit's historical late rate, and stores it with its figures; ``score_open_tickets`` (the
escalation sweep calls it every minute) applies the newest stored model of each kind to every open ticket and keeps
the answers in ``ticket_risk``, which the screens read. A held ticket (挂起: its clock stands still) is not scored and
its earlier answer goes; it counts in its unit's load all the same. A process loads a model once and again only when a newer
version is stored, so `etl train` in another process is picked up without a restart.
"""
from __future__ import annotations

import json
import pickle
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from geo import predictions as predictions_db
from geo.db import get_engine
from settings import get_settings
from workorders.policy import Principal, require

if TYPE_CHECKING:      # scikit-learn loads only where a model is trained or applied, not in every process
    from predictions.risk import RiskModel

_loaded: dict[str, "RiskModel"] = {}
_lock = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Trained:
    kind: str
    version: str
    use: str
    metrics: dict


def train_models(now: datetime | None = None, engine: Engine | None = None) -> list[Trained]:
    """Fit, judge and store one model per kind from every handled ticket registered before ``now``."""
    from predictions.features import at_moment, training_moments
    from predictions.risk import KINDS, train
    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    engine = engine or get_engine()
    with engine.connect() as conn:
        lives = predictions_db.ticket_lives(conn, now)
    out = []
    for kind in KINDS:
        rows = at_moment(training_moments(lives, kind, now), kind, lives, tz)
        model = train(rows, kind, now)
        with engine.begin() as conn:
            predictions_db.save_model(conn, kind, model.version, now, model.use,
                                      json.dumps(model.metrics, ensure_ascii=False), pickle.dumps(model))
        out.append(Trained(kind, model.version, model.use, model.metrics))
    hotspots = train_hotspots(now, engine)
    return out + ([hotspots] if hotspots else [])


def current_models(engine: Engine | None = None) -> dict[str, "RiskModel"]:
    """The newest stored model of each kind, loaded once per version."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        versions = {k: v for k, v in predictions_db.latest_versions(conn).items() if k in ("arrival", "resolve")}
        with _lock:
            for kind, version in versions.items():
                if kind not in _loaded or _loaded[kind].version != version:
                    _loaded[kind] = pickle.loads(predictions_db.model_blob(conn, version))
            return {k: m for k, m in _loaded.items() if versions.get(k) == m.version}


def score_open_tickets(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Both chances for every open ticket not held, stored; 0 when no model was trained yet."""
    now = now or utcnow()
    engine = engine or get_engine()
    models = current_models(engine)
    if not models:
        return 0
    import pandas as pd     # here, not at the top: the escalation worker needs it only once a model exists

    from predictions.features import DONE, DUE, at_moment
    tz = ZoneInfo(get_settings().timezone)
    with engine.connect() as conn:
        population = predictions_db.recent_and_open(conn, now)
    open_now = population[population["state"].isin(predictions_db.OPEN_STATES) & ~population["held"].astype(bool)].copy()
    if open_now.empty:
        with engine.begin() as conn:
            return predictions_db.replace_risks(conn, [], now)
    open_now["seen_at"] = pd.Timestamp(now)
    answers = {int(i): {"ticket_id": int(i), "arrival_p": None, "resolve_p": None, "arrival_version": None,
                        "resolve_version": None} for i in open_now["id"]}
    for kind, model in models.items():
        # Only tickets the deadline still concerns: an arrival deadline once a crew is there is no longer at risk.
        rows = open_now[open_now[DUE[kind]].notna() & open_now[DONE[kind]].isna()]
        if rows.empty:
            continue
        chances = model.predict(at_moment(rows, kind, population, tz))
        for ticket_id, p in zip(rows["id"], chances):
            answers[int(ticket_id)][f"{kind}_p"] = round(float(p), 4)
            answers[int(ticket_id)][f"{kind}_version"] = model.version
    with engine.begin() as conn:
        return predictions_db.replace_risks(conn, [a for a in answers.values() if a["resolve_p"] is not None
                                                   or a["arrival_p"] is not None], now)


def risks(numbers: list[str], engine: Engine | None = None) -> dict[str, dict]:
    """The stored chances of these tickets (number → arrival_p, resolve_p, versions), for screens that list them."""
    if not numbers:
        return {}
    with (engine or get_engine()).connect() as conn:
        return predictions_db.risks_by_number(conn, numbers)


def late_risk(ticket: dict, risk: dict | None) -> tuple[float, str] | None:
    """(chance, kind) a screen shows for a ticket: of the arrival deadline while no crew is there, else of the
    resolution one; None when nothing is stored. ``risk`` is one value of ``risks``."""
    if not risk:
        return None
    if ticket["arrival_due_at"] and not ticket["on_site_at"] and risk["arrival_p"] is not None:
        return risk["arrival_p"], "arrival"
    return (risk["resolve_p"], "resolve") if risk["resolve_p"] is not None else None


def bases(engine: Engine | None = None) -> dict[str, str]:
    """kind → "model" or "baseline": what the stored chances of that kind come from (the better on the test
    months, predictions/risk.py), so a screen can say 模型 or 基线 beside a chance."""
    return {m["kind"]: m["use"] for m in model_figures(engine) if m["kind"] in ("arrival", "resolve")}


def riskiest(principal: Principal, limit: int = 20, engine: Engine | None = None,
             still_ahead: datetime | None = None) -> list[dict]:
    """Open tickets by their chance to be late, for the command center (no personal data in these rows); with
    ``still_ahead`` (now), only those whose deadlines have not passed yet."""
    require(principal, "live_feed")
    with (engine or get_engine()).connect() as conn:
        return predictions_db.riskiest_open(conn, limit, still_ahead)


def model_figures(engine: Engine | None = None) -> list[dict]:
    """What each model in use was judged on, and whether the screens show it or the baseline."""
    with (engine or get_engine()).connect() as conn:
        return predictions_db.model_summaries(conn)


# ------------------------------------------------------------------------------------------------ hotspots
_forecasts: dict[tuple[str, str], dict] = {}


def _local_midnight(day, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _daily_counts(conn, first, last, tz: ZoneInfo):
    """Counts of the complete local days [first, last] per cell (every cell of the district, zeros included)."""
    from predictions.hotspots import DailyCounts
    from datetime import timedelta
    rows = predictions_db.daily_cell_counts(conn, _local_midnight(first, tz),
                                            _local_midnight(last + timedelta(days=1), tz), str(tz))
    cells = [g["code"] for g in predictions_db.grid_names(conn)]
    return DailyCounts.from_rows(rows, cells, first, last)


def train_hotspots(now: datetime | None = None, engine: Engine | None = None) -> Trained | None:
    """Fit and judge tomorrow's-hotspots model on every complete local day before ``now``; None: too short a
    history (it needs HISTORY_DAYS + TEST_DAYS days)."""
    from datetime import timedelta

    from predictions.hotspots import train
    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    engine = engine or get_engine()
    with engine.connect() as conn:
        first = predictions_db.first_ticket_at(conn)
        if first is None:
            return None
        yesterday = now.astimezone(tz).date() - timedelta(days=1)
        data = _daily_counts(conn, first.astimezone(tz).date(), yesterday, tz)
    model = train(data, now)
    if model is None:
        return None
    with engine.begin() as conn:
        predictions_db.save_model(conn, "hotspot", model.version, now, model.metrics["use"],
                                  json.dumps(model.metrics, ensure_ascii=False), pickle.dumps(model))
    return Trained("hotspot", model.version, model.metrics["use"], model.metrics)


def tomorrow_hotspots(principal: Principal, now: datetime | None = None, engine: Engine | None = None) -> dict | None:
    """Expected tickets per grid cell tomorrow (local day), by group, the top cells, and what the forecast was
    judged on. None before `python -m etl train` has stored a hotspot model."""
    from datetime import timedelta

    from predictions.hotspots import HISTORY_DAYS, TOP, group_split
    require(principal, "analytics")
    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    engine = engine or get_engine()
    with engine.connect() as conn:
        version = predictions_db.latest_versions(conn).get("hotspot")
        if version is None:
            return None
        today = now.astimezone(tz).date()
        key = (version, today.isoformat())
        if key not in _forecasts:
            with _lock:
                model = pickle.loads(predictions_db.model_blob(conn, version))
            data = _daily_counts(conn, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1), tz)
            names = {g["code"]: g for g in predictions_db.grid_names(conn)}
            expected = model.forecast(data)
            groups = group_split(data, expected)
            order = [int(i) for i in expected.argsort()[::-1][:TOP]]
            _forecasts.clear()
            _forecasts[key] = {
                "day": (today + timedelta(days=1)).isoformat(), "version": version, "metrics": model.metrics,
                "counts": {c: round(float(v), 3) for c, v in zip(data.cells, expected)},
                "total": round(float(expected.sum()), 1),
                "by_group": {g: round(float(v.sum()), 1) for g, v in groups.items()},
                "top": [{**names[data.cells[i]], "expected": round(float(expected[i]), 2),
                         "groups": {g: round(float(v[i]), 2) for g, v in groups.items()}} for i in order]}
    return _forecasts[key]
