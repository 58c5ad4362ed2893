"""Rules of 督办 that services.tickets applies at intake and in the escalation sweep: plain Python, no SQL.

They live here, not in services.supervision, so services.tickets (intake, sweep) and services.supervision
(the /supervision desk, which publishes a ticket's public view through services.tickets) import one way only.
"""
from __future__ import annotations

from datetime import datetime, timedelta

REPEAT_FLAG = "repeat"
REPEAT_REASONS = ("same_caller", "same_place")
ARRIVAL_FLAG = "arrival_breached"


def repeat_window_start(registered_at: datetime, window_days: int) -> datetime:
    """An earlier ticket closed on or after this moment is repeated by one registered at ``registered_at``."""
    return registered_at - timedelta(days=window_days)


def repeat_reasons(row: dict) -> list[str]:
    """Why an earlier closed ticket is repeated: the same caller, the same place, or both."""
    return [reason for reason in REPEAT_REASONS if row.get(reason)]


def arrival_breach_reason(due: datetime, now: datetime) -> str:
    minutes = max(1, int((now - due).total_seconds() // 60))
    return f"超过到场时限 {minutes} 分钟仍无人到场，升级督办"
