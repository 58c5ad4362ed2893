"""python -m etl reference | load LAYER FILE

Errors are reported one line each on stderr; the exit status is non-zero when anything was refused.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path


def _reference(args: argparse.Namespace) -> int:
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(seed=args.seed, force=args.force, quiet=args.quiet)
    return 0


def _load(args: argparse.Namespace) -> int:
    from etl.loader import LoadRejected, load_file
    try:
        report = load_file(
            args.layer, args.file, id_field=args.id_field, name_field=args.name_field,
            lon_field=args.lon_field, lat_field=args.lat_field, parent_field=args.parent_field,
            crs=args.crs, encoding=args.encoding, skip_bad=args.skip_bad)
    except LoadRejected as rejected:
        for line in rejected.problems:
            print(f"error: {line}", file=sys.stderr)
        print(f"error: {args.file}: nothing loaded ({len(rejected.problems)} problem(s))", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0


def _categories(args: argparse.Namespace) -> int:
    from etl.catalogue import load_changed
    from workorders.catalogue import CatalogueError
    try:
        catalogue, saved = load_changed(args.file) if args.file else load_changed()
    except CatalogueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for version in saved:
        fields = ", ".join(c["field"] for c in version.changes) or "new"
        print(f"{version.code}: version {version.version} ({fields})")
    print(f"loaded {len(catalogue)} categories, {len(saved)} new version(s)")
    return 0


# Modules that bring their own sub-command (history, devices …). The long-running ones are in workers/ and simulation/.
COMMAND_MODULES: tuple[str, ...] = ("etl.scores", "etl.history", "etl.devices", "etl.aggregate", "etl.train", "etl.mediation", "etl.risk_assessment",
                                    "etl.consultation", "etl.resources", "etl.petitions")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Reference data of the command center.")
    sub = parser.add_subparsers(dest="command", required=True)

    ref = sub.add_parser("reference", help="generate and load the Tiedong reference data (idempotent)")
    ref.add_argument("--seed", type=int, default=None, help="random seed (default: settings REFERENCE_SEED)")
    ref.add_argument("--force", action="store_true", help="replace reference data that is already loaded")
    ref.add_argument("--quiet", action="store_true", help="no progress bar")
    ref.set_defaults(func=_reference)

    cats = sub.add_parser("categories", help="load the category catalogue (config/categories.yaml)")
    cats.add_argument("file", nargs="?", type=Path, help="another catalogue file")
    cats.set_defaults(func=_categories)

    from geo.models import LAYER_MODELS
    load = sub.add_parser("load", help="load a district's own layer from a file")
    load.add_argument("layer", choices=list(LAYER_MODELS))
    load.add_argument("file", help="GeoJSON, Shapefile (folder or .zip), GeoPackage, or CSV with point columns")
    load.add_argument("--id-field", help="field holding the feature's code")
    load.add_argument("--name-field", help="field holding the feature's name")
    load.add_argument("--parent-field", help="field holding the parent's code (else found spatially)")
    load.add_argument("--lon-field", help="CSV: longitude / x column")
    load.add_argument("--lat-field", help="CSV: latitude / y column")
    load.add_argument("--crs", help="source CRS: an EPSG code (4549, EPSG:4549) or gcj02; default: declared, else 4326")
    load.add_argument("--encoding", help="text encoding of a Shapefile or CSV without one declared (e.g. gbk)")
    load.add_argument("--skip-bad", action="store_true", help="load the good features, list the bad ones")
    load.set_defaults(func=_load)
    for name in COMMAND_MODULES:   # each adds its own sub-command: register(subparsers)
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
