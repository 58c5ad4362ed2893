"""python -m etl train: fit the breach-risk models on the stored history and store them (services/predictions.py).

The dashboard's escalation sweep picks up the new version at its next run; nothing needs a restart. Prints what
each model was judged on (Brier score, ROC AUC on the latest months) against the baseline, and which one the
screens will show.
"""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    cmd = subparsers.add_parser("train", help="train the breach-risk models from the ticket history")
    cmd.set_defaults(func=run)


def _line(trained) -> str:
    m = trained.metrics
    if "model" not in m:
        return f"{trained.kind}: {m.get('rows', 0)} rows — {m.get('note', '')}; version {trained.version}"
    return (f"{trained.kind}: {m['train_rows']} training / {m['test_rows']} test moments (test from "
            f"{m['test_from'][:10]}, {m['late_share_test']:.1%} late) — model Brier {m['model']['brier']:.4f} "
            f"AUC {m['model']['auc']}, baseline Brier {m['baseline']['brier']:.4f} AUC {m['baseline']['auc']} "
            f"→ screens show the {trained.use}; version {trained.version}")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from services.predictions import score_open_tickets, train_models
    try:
        for trained in train_models():
            print(_line(trained))
        print(f"scored {score_open_tickets()} open ticket(s)")
    except SQLAlchemyError as error:
        print(f"error: train: {error.__class__.__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0
