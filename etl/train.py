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
    if trained.kind == "hotspot":
        return _hotspot_line(trained)
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


def _hotspot_line(trained) -> str:
    m = trained.metrics
    mae, hits = m["mae_per_cell"], m["top20_hits"]
    return (f"hotspot: {m['cells']} cells, {m['train_days']} training / {m['test_days']} test days (from "
            f"{m['test_from']}, {m['mean_tickets_per_day']} tickets a day) — MAE per cell: model "
            f"{mae['model']:.4f}, same day last week {mae['same_day_last_week']:.4f}, trailing 4 weeks "
            f"{mae['trailing_4_weeks']:.4f}; Poisson deviance: model {m['poisson_deviance']['model']:.4f}, last week "
            f"{m['poisson_deviance']['same_day_last_week']:.4f}, 4 weeks {m['poisson_deviance']['trailing_4_weeks']:.4f}; real top-20 cells named: model {hits['model']}, last week "
            f"{hits['same_day_last_week']}, 4 weeks {hits['trailing_4_weeks']} (of {m['top20_possible']}) "
            f"→ screens show the {trained.use}; version {trained.version}")
