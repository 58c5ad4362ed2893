"""Tickets seen at a moment, as the risk model reads them: the same function for the history and for now.

``lives`` is one row per ticket (geo/predictions.py ticket_lives): its rules, its moments (registered, dispatched,
on site, resolved) and its deadlines. Its unit's open load and on-time rate at a moment are counted from the same
frame with sorted arrays (searchsorted), not one query per moment: a million moments cost seconds.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

SNAPSHOT_SHARES = (0.0, 0.25, 0.5, 0.75)     # of the allowed time, where a historical ticket is looked at
RATE_WINDOW = pd.Timedelta(days=30)
DUE = {"arrival": "arrival_due_at", "resolve": "resolve_due_at"}
DONE = {"arrival": "on_site_at", "resolve": "resolved_at"}
NEVER = np.iinfo(np.int64).max


def _ns(series: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds since the epoch (UTC); missing ones as the largest int64 (never happened)."""
    values = pd.to_datetime(pd.Series(series), utc=True).dt.tz_localize(None)
    arr = values.to_numpy().astype("datetime64[ns]")
    out = arr.view("int64").copy()
    out[np.isnat(arr)] = NEVER
    return out


def training_moments(lives: pd.DataFrame, kind: str, now: datetime) -> pd.DataFrame:
    """Each historical ticket at the shares of its allowed time while it was still open, with its label: was the
    deadline missed. Tickets whose deadline lies ahead and that are not done yet have no label and are left out."""
    due, done = _ns(lives[DUE[kind]]), _ns(lives[DONE[kind]])
    registered = _ns(lives["registered_at"])
    now_ns = pd.Timestamp(now).value
    known = (lives[DUE[kind]].notna().to_numpy()) & ((done != NEVER) | (due <= now_ns))
    frames = []
    for share in SNAPSHOT_SHARES:
        seen = registered + ((due - registered) * share).astype(np.int64)
        keep = known & (done > seen)
        part = lives[keep].copy()
        part["seen_at"] = pd.to_datetime(seen[keep], utc=True)
        part["late"] = done[keep] > due[keep]
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else lives.iloc[0:0]


def at_moment(rows: pd.DataFrame, kind: str, population: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    """The model's features of ``rows`` (tickets with ``seen_at``), counted against ``population``."""
    out = rows.copy()
    seen = pd.to_datetime(out["seen_at"], utc=True)
    local = seen.dt.tz_convert(tz)
    out["hour"], out["weekday"], out["month"] = local.dt.hour, local.dt.day_of_week, local.dt.month
    out["registered_hour"] = pd.to_datetime(out["registered_at"], utc=True).dt.tz_convert(tz).dt.hour
    due = pd.to_datetime(out[DUE[kind]], utc=True)
    registered = pd.to_datetime(out["registered_at"], utc=True)
    allowed = (due - registered).dt.total_seconds().clip(lower=60)
    out["hours_left"] = (due - seen).dt.total_seconds() / 3600
    out["elapsed_share"] = ((seen - registered).dt.total_seconds() / allowed).clip(0, 5)
    seen_ns = _ns(seen)
    out["dispatched"] = (_ns(out["dispatched_at"]) <= seen_ns).astype(float)
    out["on_site"] = (_ns(out["on_site_at"]) <= seen_ns).astype(float)
    load, rate = unit_figures(population, out["lead_department_code"].to_numpy(), seen_ns)
    out["unit_open_load"], out["unit_on_time_rate"] = load, rate
    return out


def unit_figures(population: pd.DataFrame, units: np.ndarray, at_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each (unit, moment): tickets of the unit open then, and its on-time share of the 30 days before."""
    load = np.zeros(len(units))
    rate = np.full(len(units), np.nan)
    window = RATE_WINDOW.value
    for unit, group in population.groupby("lead_department_code"):
        idx = np.flatnonzero(units == unit)
        if not len(idx):
            continue
        registered = np.sort(_ns(group["registered_at"]))
        resolved_all = _ns(group["resolved_at"])
        order = np.argsort(resolved_all)
        resolved = resolved_all[order]
        on_time = (resolved_all <= _ns(group["resolve_due_at"]))[order].astype(np.int64)
        cum_on_time = np.concatenate([[0], np.cumsum(on_time)])
        t = at_ns[idx]
        load[idx] = np.searchsorted(registered, t, "right") - np.searchsorted(resolved, t, "right")
        lo, hi = np.searchsorted(resolved, t - window, "right"), np.searchsorted(resolved, t, "right")
        n = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            rate[idx] = np.where(n > 0, (cum_on_time[hi] - cum_on_time[lo]) / np.maximum(n, 1), np.nan)
    return load, rate
