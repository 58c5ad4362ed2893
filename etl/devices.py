"""The elders' one-key phones (一键通): `python -m etl devices FILE.csv` and `python -m etl devices --generate`.

CSV columns: device_id, elder_name, phone, address, lon, lat, and optionally contact_name, contact_phone — or their
Chinese headers 设备编号, 姓名, 电话, 地址, 经度, 纬度, 联系人, 联系人电话. A layer of the file loader (etl.loader): its text decoding (UTF-8, else GB18030), CSV rows, field names
(the loader's candidates for lon/lat), GCJ-02 undone by geo.crs, the grid of a point by geo.grids (grid_at), and
its rejection: every row is checked (required fields, numbers, the point inside the district, a device id once)
and each bad row is reported on one line naming its line number and field; nothing is written unless every row is
good. Rows are upserted by device_id, so importing the same file again changes nothing.

`--generate` writes a realistic registry of 4,000 elders of the generated Tiedong district (same seed, same
registry: running it again changes nothing).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from sqlalchemy.engine import Engine

from simulation import names
from etl.loader import GCJ02, GENERIC_FIELDS, LoadRejected, match_fields, parse_csv, read_text
from etl.tiedong import people_density
from etl.tiling import sample_points
from geo import devices as db
from geo.crs import gcj02_to_wgs84, metres_per_degree
from geo.db import get_engine, transaction
from settings import get_settings
from workorders.contract import Latitude, Longitude, Phone, value_problems

# Field → the header names it is found under, as the loader's candidate tables (first match wins, any case).
DEVICE_FIELDS: dict[str, tuple[str, ...]] = {
    "device_id": ("device_id", "设备编号", "设备号"),
    "elder_name": ("elder_name", "姓名", "老人姓名"),
    "phone": ("phone", "电话", "联系电话"),
    "address": ("address", "地址", "住址"),
    "lon": GENERIC_FIELDS["lon"],
    "lat": GENERIC_FIELDS["lat"],
    "contact_name": ("contact_name", "联系人", "紧急联系人"),
    "contact_phone": ("contact_phone", "联系人电话", "紧急联系人电话"),
}
FIELDS = tuple(DEVICE_FIELDS)
REQUIRED = ("device_id", "elder_name", "lon", "lat")
MAX_LENGTH = {"device_id": 64, "elder_name": 50, "phone": 32, "address": 200, "contact_name": 50,
              "contact_phone": 32}

ELDERS = 4000
# Given names common among Anshan's elderly (born in the 1930s–50s), beside the generic ones of simulation.names.
ELDER_GIVEN = ("淑珍 秀英 桂兰 玉兰 凤芝 淑兰 秀兰 桂芝 玉珍 素珍 凤兰 淑芬 秀珍 桂英 玉芬 德福 振山 "
               "长林 玉山 宝林 国祥 永祥 树林 福林 文华 志刚 德胜 振华 凤山 连生").split()
ANSHAN_AREA_CODE = "0412"
NEAREST_BUILDING_M = 250.0


class DevicesRejected(LoadRejected):
    """The registry file was refused: one line per problem in ``problems``, and nothing was written."""


@dataclass
class DeviceRow:
    line: int
    values: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    def refuse(self, field_name: str, message: str) -> None:
        device = self.values.get("device_id")
        who = f" ({device})" if device else ""
        self.problems.append(f"line {self.line}{who}: {field_name}: {message}")


@dataclass
class ImportReport:
    new: int
    updated: int

    def line(self, source: str) -> str:
        return f"{source}: {self.new + self.updated} devices imported ({self.new} new, {self.updated} updated)"


# ------------------------------------------------------------------------------------------------ reading

def read_rows(text: str, source: str = "file") -> list[DeviceRow]:
    """Rows of the CSV text, keyed by the English field names; the header is line 1."""
    try:
        table = parse_csv(text)
    except LoadRejected as rejected:
        raise DevicesRejected([f"{source}: {line}" for line in rejected.problems]) from None
    fields = match_fields(DEVICE_FIELDS, table.columns)
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise DevicesRejected([f"{source}: line 1: missing column(s) {', '.join(missing)} "
                               f"(expected {', '.join(FIELDS)} or 设备编号, 姓名, 电话, 地址, 经度, 纬度)"])
    rows = []
    for line, raw in table.rows:
        values = {name: (raw[column] or "").strip() for name, column in fields.items()}
        if not any(values.values()):
            continue    # a blank line is not a device
        rows.append(DeviceRow(line, values))
    return rows


def read_file(path: Path, encoding: str | None = None) -> str:
    try:
        return read_text(path, encoding)
    except LoadRejected as rejected:
        raise DevicesRejected([f"{path}: {line}" for line in rejected.problems]) from None


# ------------------------------------------------------------------------------------------------ checking

def check_fields(row: DeviceRow, crs: str) -> None:
    values = row.values
    for name in REQUIRED:
        if not values.get(name):
            row.refuse(name, "missing")
    for name, limit in MAX_LENGTH.items():
        if values.get(name) and len(values[name]) > limit:
            row.refuse(name, f"longer than {limit} characters")
    for name in ("phone", "contact_phone"):
        if values.get(name) and value_problems(Phone, values[name], name):
            row.refuse(name, f"not a phone number: {values[name]!r}")
    coords = {}
    for name, kind in (("lon", Longitude), ("lat", Latitude)):
        raw = values.get(name)
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            row.refuse(name, f"not a number: {raw!r}")
            continue
        if value_problems(kind, number, name):
            row.refuse(name, f"out of range: {raw!r}")
            continue
        coords[name] = number
    if len(coords) == 2:
        if crs == GCJ02:
            lon, lat = gcj02_to_wgs84(coords["lon"], coords["lat"])
            coords = {"lon": float(lon), "lat": float(lat)}
        values["lon"], values["lat"] = coords["lon"], coords["lat"]
    else:
        values["lon"] = values["lat"] = None


def check_duplicates(rows: Sequence[DeviceRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        device = row.values.get("device_id")
        if not device:
            continue
        if device in first_line:
            row.refuse("device_id", f"also on line {first_line[device]}")
        else:
            first_line[device] = row.line


def check_places(conn, rows: Sequence[DeviceRow]) -> None:
    """Each point must lie in a grid of the district; the grid found is the elder's home grid."""
    located = [r for r in rows if r.values.get("lon") is not None]
    places = db.places_of_points(conn, [(r.values["lon"], r.values["lat"]) for r in located])
    for row, place in zip(located, places):
        if place is None:
            row.refuse("lon/lat", f"outside the district ({row.values['lon']:.6f}, {row.values['lat']:.6f})")
        else:
            row.values["grid_code"] = place["grid_code"]


# ------------------------------------------------------------------------------------------------ writing

def import_rows(rows: Sequence[DeviceRow], crs: str = "wgs84", engine: Engine | None = None) -> ImportReport:
    """Check every row, then upsert them all in one transaction; any problem → DevicesRejected, nothing written."""
    if crs not in ("wgs84", GCJ02):
        raise ValueError(f"crs must be wgs84 or gcj02, not {crs!r}")
    for row in rows:
        check_fields(row, crs)
    check_duplicates(rows)
    with transaction(engine) as conn:
        check_places(conn, rows)
        problems = [p for row in rows for p in row.problems]
        if problems:
            raise DevicesRejected(problems)
        records = [record_of(row) for row in rows]
        known = db.existing_device_ids(conn, [r["device_id"] for r in records])
        db.upsert_devices(conn, records)
    return ImportReport(new=len(records) - len(known), updated=len(known))


def record_of(row: DeviceRow) -> dict[str, Any]:
    """A checked row as the table stores it (empty optional fields become NULL)."""
    return {"device_id": row.values["device_id"], "elder_name": row.values["elder_name"],
            "phone": row.values.get("phone") or None, "address": row.values.get("address") or None,
            "lon": row.values["lon"], "lat": row.values["lat"], "grid_code": row.values["grid_code"],
            "contact_name": row.values.get("contact_name") or None,
            "contact_phone": row.values.get("contact_phone") or None}


def import_csv(path: Path, crs: str = "wgs84", encoding: str | None = None,
               engine: Engine | None = None) -> ImportReport:
    rows = read_rows(read_file(path, encoding), str(path))
    if not rows:
        raise DevicesRejected([f"{path}: no device rows"])
    return import_rows(rows, crs, engine)


# ------------------------------------------------------------------------------------------------ generating

def generate_elder_devices(seed: int | None = None, engine: Engine | None = None,
                           count: int = ELDERS) -> list[dict[str, Any]]:
    """A registry of ``count`` elders of the loaded Tiedong reference data, the same for the same seed.

    Elders live where people live (the density surface of the reference generator, so most in the old dense
    centre); downtown an elder lives in a numbered building of the gazetteer ("胜利路12号3单元502室") and the
    phone's point is that building; elsewhere the address is a building of their community or a house of their
    village. Contact phones are home landlines (0412-…) or a child's mobile.
    """
    seed = get_settings().reference_seed if seed is None else seed
    rng = np.random.default_rng(seed + 2)
    with (engine or get_engine()).connect() as conn:
        district = db.district_shape(conn)
        if district is None:
            raise DevicesRejected(["no district loaded: run `python -m etl reference` first"])
        buildings = db.building_places(conn)
        centre = district.centroid
        mx, my = metres_per_degree(centre.y)
        to_m = lambda lon, lat: ((np.asarray(lon) - centre.x) * mx, (np.asarray(lat) - centre.y) * my)  # noqa: E731
        area = shapely.transform(district, lambda c: np.column_stack(to_m(c[:, 0], c[:, 1])))
        density = people_density(to_m)
        # a few spare homes: a point on the district's very edge may fall outside every grid
        homes = sample_points(area, density, count + 50, rng)
        lons, lats = homes[:, 0] / mx + centre.x, homes[:, 1] / my + centre.y
        snapped = _snap_to_buildings(homes, buildings, to_m)
        points = [(b["lon"], b["lat"]) if b else (float(lo), float(la))
                  for b, lo, la in zip(snapped, lons, lats)]
        places = db.places_of_points(conn, points)
    rows: list[dict[str, Any]] = []
    for building, point, place in zip(snapped, points, places):
        if place is None or len(rows) == count:
            continue
        rows.append({"device_id": f"YJT{len(rows) + 1:05d}", "elder_name": _elder_name(rng),
                     "phone": _contact_phone(rng),
                     "address": _address(rng, building, place), "lon": round(point[0], 7),
                     "lat": round(point[1], 7)})
    return rows


def _snap_to_buildings(homes: np.ndarray, buildings: list[dict], to_m) -> list[dict | None]:
    """The nearest numbered building within NEAREST_BUILDING_M of each home, or None (no street address)."""
    if not buildings:
        return [None] * len(homes)
    bx, by = to_m([b["lon"] for b in buildings], [b["lat"] for b in buildings])
    out: list[dict | None] = []
    for x, y in homes:
        d2 = (bx - x) ** 2 + (by - y) ** 2
        i = int(np.argmin(d2))
        out.append(buildings[i] if d2[i] <= NEAREST_BUILDING_M ** 2 else None)
    return out


def _elder_name(rng: np.random.Generator) -> str:
    if rng.random() < 0.6:
        return str(rng.choice(names.SURNAMES)) + str(rng.choice(ELDER_GIVEN))
    return names.person_name(rng)


def _contact_phone(rng: np.random.Generator) -> str:
    if rng.random() < 0.55:   # the home landline: Anshan numbers are 7 digits after 0412
        return f"{ANSHAN_AREA_CODE}-{int(rng.integers(2, 9))}{int(rng.integers(0, 1_000_000)):06d}"
    return names.mobile_phone(rng)   # a son's or daughter's mobile


def _flat(rng: np.random.Generator) -> str:
    floor = int(rng.integers(1, 8))       # old 5–7 storey walk-ups
    return f"{int(rng.integers(1, 7))}单元{floor}0{int(rng.integers(1, 5))}室"


def _address(rng: np.random.Generator, building: dict | None, place: dict) -> str:
    if building is not None:
        return building["name"] + _flat(rng)
    community = place["community_name"]
    if place["community_kind"] == "村":
        return f"{community}{int(rng.integers(1, 9))}组{int(rng.integers(1, 120))}号"
    return f"{community.removesuffix('社区')}小区{int(rng.integers(1, 40))}号楼{_flat(rng)}"


def generate_rows(records: Iterable[dict[str, Any]]) -> list[DeviceRow]:
    """Generated records as rows of a file, so they pass the very checks an imported file passes."""
    return [DeviceRow(n, {k: ("" if v is None else str(v)) for k, v in r.items()})
            for n, r in enumerate(records, start=2)]


# ------------------------------------------------------------------------------------------------ CLI

def _run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.generate):
        print("error: give either a CSV file or --generate", file=sys.stderr)
        return 2
    try:
        if args.generate:
            seed = get_settings().reference_seed if args.seed is None else args.seed
            report = import_rows(generate_rows(generate_elder_devices(seed)))
            source = f"generated registry (seed {seed})"
        else:
            report = import_csv(args.file, args.crs, args.encoding)
            source = str(args.file)
    except LoadRejected as rejected:
        for line in rejected.problems:
            print(f"error: {line}", file=sys.stderr)
        print(f"error: {args.file or 'generated registry'}: nothing imported ({len(rejected.problems)} problem(s))",
              file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    print(report.line(source))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("devices", help="import the elders' one-key phone registry (一键通) from CSV, "
                                            "or --generate Tiedong's 4,000")
    parser.add_argument("file", nargs="?", type=Path,
                        help="CSV: device_id, elder_name, phone, address, lon, lat (or 设备编号, 姓名, 电话, 地址, 经度, 纬度)")
    parser.add_argument("--generate", action="store_true",
                        help="write the generated registry of 4,000 elders (idempotent; needs `etl reference`)")
    parser.add_argument("--seed", type=int, default=None, help="--generate: seed (default: REFERENCE_SEED)")
    parser.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84",
                        help="datum of the file's lon/lat (gcj02: as AMap/Tencent maps give them)")
    parser.add_argument("--encoding", help="text encoding of the CSV (default: UTF-8, else GB18030)")
    parser.set_defaults(func=_run)
