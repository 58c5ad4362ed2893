"""`python -m etl load LAYER FILE`: load a district's own layer from a delivered file.

Steps, each a small function below: read the file (GeoJSON, Shapefile folder or .zip, GeoPackage, CSV with point
columns) → find the fields (options, else the candidate table right below) → reproject to EPSG:4326 (pyproj, or
geo.crs for GCJ-02) → check each feature on its own (code, geometry type, repair) → check it against the database
(inside the district, parent) → upsert. The database work happens in one transaction and all of its SQL is in
geo.loading: a file with any bad feature changes nothing, unless --skip-bad asks to load the good ones.

Nothing here knows the Tiedong district: the district is whatever the districts table holds.

Other loaders of delivered files stand on the same steps (etl.devices, the elders' one-key phones): the text of a
file (decode_text: UTF-8, else GB18030), its CSV rows with their line numbers (parse_csv), its fields found from
candidate names (match_fields), points in GCJ-02 undone by geo.crs, the grid of a point by geo.grids, and a
LoadRejected that lists every problem while nothing is written.
"""
from __future__ import annotations

import csv
import io
import math
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Engine

from geo import loading
from geo.crs import geometry_gcj02_to_wgs84
from geo.db import transaction
from geo.models import CREW_STATUSES
from geo.shapes import repair

LAYERS = ("district", "streets", "communities", "grids", "cameras", "crews")
POLYGON_LAYERS = frozenset({"district", "streets", "communities", "grids"})
POINT_LAYERS = frozenset({"cameras", "crews"})

# ------------------------------------------------------------------------------------------------ field candidates
# Field names looked for when no option names the field. Compared case-insensitively and exactly; the first name
# the file has wins. A layer's own names come first and generic ones last, and one field fills one role only: so a
# grid file carrying both 网格编码 and 社区编码 reads as code = 网格编码, parent = 社区编码.
GENERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "代码", "编号", "标识码", "id"),
    "name": ("name", "名称", "名字", "mc"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x", "x坐标", "point_x"),
    "lat": ("lat", "latitude", "纬度", "y", "y坐标", "point_y"),
}
LAYER_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "district": {
        "code": ("district_code", "adcode", "区县编码", "区划代码", "行政区划代码"),
        "name": ("district_name", "区县名称", "区名称", "行政区名称"),
    },
    "streets": {
        "code": ("street_code", "街道编码", "街道代码", "街道编号", "乡镇编码"),
        "name": ("street_name", "街道名称", "街道", "乡镇名称"),
        "parent": ("district_code", "区县编码", "区划代码", "所属区县编码"),
    },
    "communities": {
        "code": ("community_code", "社区编码", "社区代码", "社区编号", "村编码", "村居编码"),
        "name": ("community_name", "社区名称", "社区", "村名称", "村居名称"),
        "parent": ("street_code", "街道编码", "街道代码", "所属街道编码"),
        "kind": ("kind", "type", "类型", "社区类型"),
    },
    "grids": {
        "code": ("grid_code", "网格编码", "网格代码", "网格编号"),
        "name": ("grid_name", "网格名称", "网格"),
        "parent": ("community_code", "社区编码", "社区代码", "所属社区编码"),
        "worker_name": ("worker_name", "网格员", "网格员姓名"),
        "worker_phone": ("worker_phone", "网格员电话", "网格员手机", "网格员联系电话"),
        "cadre_name": ("cadre_name", "综治干部", "综治干部姓名"),
        "cadre_phone": ("cadre_phone", "综治干部电话", "综治干部手机", "综治干部联系电话"),
    },
    "cameras": {
        "code": ("camera_code", "设备编码", "点位编码", "设备编号", "点位编号", "国标编码"),
        "name": ("camera_name", "设备名称", "点位名称"),
        "parent": ("grid_code", "网格编码", "所属网格编码"),
        "kind": ("kind", "type", "类型", "设备类型"),
    },
    "crews": {
        "code": ("crew_code", "队伍编码", "人员编码", "编组编码"),
        "name": ("crew_name", "队伍名称", "编组名称", "姓名"),
        "parent": ("department_code", "部门编码", "部门代码", "dept_code"),
        "grid": ("grid_code", "网格编码"),
        "kind": ("kind", "type", "类型"),
        "status": ("status", "状态"),
        "members": ("members", "人数", "队员数"),
    },
}
# The command-line option that names the field of a role, for messages about it.
OPTION_OF_ROLE = {"code": "--id-field", "name": "--name-field", "parent": "--parent-field",
                  "lon": "--lon-field", "lat": "--lat-field"}

# ------------------------------------------------------------------------------------------------ layer vocabulary
NOUNS = {"district": ("district", "districts"), "streets": ("street", "streets"),
         "communities": ("community", "communities"), "grids": ("grid", "grids"),
         "cameras": ("camera", "cameras"), "crews": ("crew", "crews")}
PARENT_NOUN = {"streets": "district", "communities": "street", "grids": "community", "cameras": "grid",
               "crews": "department"}
COMMUNITY_KINDS = {"社区": "社区", "community": "社区", "居委会": "社区", "社区居委会": "社区",
                   "村": "村", "village": "村", "行政村": "村", "村委会": "村"}
DEFAULT_CAMERA_KIND = "枪机"
DEFAULT_CREW_KIND = "其他"
MAX_CODE_LENGTH = 32            # geo.models: codes, phones and kinds are String(32)
MAX_SHARE_OUTSIDE = 0.01        # an area may stick out of the district by digitising slack, not more
GCJ02 = "gcj02"                 # the --crs value for AMap/Tencent coordinates
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
CSV_SUFFIXES = (".csv", ".txt")


class LoadRejected(Exception):
    """The file was refused; ``problems`` holds one printable line per problem, and nothing was written."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(dict.fromkeys(problems))    # same line twice (e.g. both copies of a code) once
        super().__init__("; ".join(self.problems))


@dataclass
class Feature:
    """One feature of the file, as far as the checks have got."""
    number: int                            # 1-based position in the file, to name features without a code
    code: str | None
    geom: BaseGeometry | None
    attrs: dict[str, Any]                  # role → cleaned value (name, parent, kind, …)
    problems: list[str] = field(default_factory=list)
    repair_reason: str | None = None

    @property
    def label(self) -> str:
        return self.code if self.code else f"feature {self.number}"

    @property
    def ok(self) -> bool:
        return not self.problems

    def reject(self, problem: str) -> None:
        self.problems.append(problem)


@dataclass
class LoadReport:
    layer: str
    source: str
    inserted: int = 0
    updated: int = 0
    repaired: list[tuple[str, str]] = field(default_factory=list)   # (code, reason)
    skipped: list[str] = field(default_factory=list)                # problem lines of the skipped features
    skipped_count: int = 0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    def lines(self) -> Iterator[str]:
        singular, plural = NOUNS[self.layer]
        head = (f"loaded {self.loaded} {singular if self.loaded == 1 else plural} "
                f"({self.inserted} inserted, {self.updated} updated) from {self.source}")
        if self.repaired:
            head += f"; repaired {len(self.repaired)}"
        if self.skipped_count:
            head += f"; skipped {self.skipped_count}"
        yield head
        for code, reason in self.repaired:
            yield f"  repaired {code}: {reason}"
        for line in self.skipped:
            yield f"  skipped {line}"


# ================================================================================================ the entry point

def load_file(layer: str, path: str | Path, *, id_field: str | None = None, name_field: str | None = None,
              lon_field: str | None = None, lat_field: str | None = None, parent_field: str | None = None,
              crs: str | None = None, encoding: str | None = None, skip_bad: bool = False,
              engine: Engine | None = None) -> LoadReport:
    """Load ``path`` into ``layer``; raises LoadRejected (nothing written) when the file or a feature is refused."""
    if layer not in LAYERS:
        raise LoadRejected([f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}"])
    source = Path(path)
    given = {"code": id_field, "name": name_field, "parent": parent_field, "lon": lon_field, "lat": lat_field}
    try:
        frame, declared_crs = read_table(source, layer, encoding)
        fields = detect_fields(layer, attribute_columns(frame), given)
        require_code_field(layer, fields, attribute_columns(frame))
        frame = with_point_geometry(frame, fields, prefer_columns=bool(lon_field or lat_field))
        frame = to_wgs84(frame, parse_crs(crs), declared_crs)
    except LoadRejected as rejected:
        raise LoadRejected([f"{source}: {line}" for line in rejected.problems]) from None

    features = build_features(layer, frame, fields, default_code=source.stem)
    if not features:
        raise LoadRejected([f"{source}: no features"])
    with transaction(engine) as conn:
        check_against_database(conn, layer, features)
        bad = [f for f in features if not f.ok]
        good = [f for f in features if f.ok]
        if bad and (not skip_bad or not good):
            raise LoadRejected(problem_lines(bad))
        inserted, updated = loading.upsert_features(conn, layer, [row_of(layer, f) for f in good])
    return LoadReport(layer=layer, source=str(source), inserted=inserted, updated=updated,
                      repaired=[(f.label, f.repair_reason) for f in good if f.repair_reason],
                      skipped=problem_lines(bad), skipped_count=len(bad))


def problem_lines(features: Sequence[Feature]) -> list[str]:
    lines = [f"{f.label}: {problem}" for f in features for problem in f.problems]
    return list(dict.fromkeys(lines))


# ================================================================================================ reading

def read_table(source: Path, layer: str, encoding: str | None) -> tuple[pd.DataFrame, CRS | None]:
    """The file's features as a (Geo)DataFrame, and the CRS it declares (None when it declares none)."""
    if not source.exists():
        raise LoadRejected(["no such file or folder"])
    if source.is_file() and source.suffix.lower() == ".zip":
        # Deliveries zip a folder of sidecar files; unpacking lets the folder logic (and the .dbf sniffing) apply.
        with tempfile.TemporaryDirectory(prefix="etl-load-") as unpacked:
            try:
                with zipfile.ZipFile(source) as archive:
                    archive.extractall(unpacked)
            except (zipfile.BadZipFile, OSError) as exc:
                raise LoadRejected([f"cannot unzip: {exc}"]) from None
            return read_table(pick_dataset(Path(unpacked), layer), layer, encoding)
    if source.is_dir():
        source = pick_dataset(source, layer)
    if source.suffix.lower() in CSV_SUFFIXES:
        return read_csv(source, encoding), None
    return read_vector(source, layer, encoding)


def pick_dataset(folder: Path, layer: str) -> Path:
    """The one dataset in ``folder`` (searched recursively), or the one named after the layer."""
    found = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in VECTOR_SUFFIXES + CSV_SUFFIXES
                   and not p.name.startswith("."))
    if len(found) == 1:
        return found[0]
    named = [p for p in found if p.stem.lower() in (layer, NOUNS[layer][0])]
    if len(named) == 1:
        return named[0]
    if not found:
        raise LoadRejected(["no Shapefile, GeoPackage, GeoJSON or CSV inside"])
    listed = ", ".join(str(p.relative_to(folder)) for p in found)
    raise LoadRejected([f"holds several datasets ({listed}): give one file, or name it {layer}.*"])


def read_vector(source: Path, layer: str, encoding: str | None) -> tuple[gpd.GeoDataFrame, CRS | None]:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(source)]
        chosen = pick_layer(layers, layer)
        # GeoJSON and GeoPackage are UTF-8 by definition: an encoding only ever applies to a Shapefile's .dbf.
        is_shapefile = source.suffix.lower() == ".shp"
        encoding = (encoding or sniff_shapefile_encoding(source)) if is_shapefile else None
        frame = pyogrio.read_dataframe(source, layer=chosen, encoding=encoding)
    except LoadRejected:
        raise
    except Exception as exc:       # pyogrio/GDAL raise a handful of types for unreadable input
        raise LoadRejected([f"cannot read: {exc}"]) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame))
    return frame, frame.crs


def pick_layer(layers: list[str], layer: str) -> str | None:
    if len(layers) <= 1:
        return layers[0] if layers else None
    named = [name for name in layers if name.lower() in (layer, NOUNS[layer][0])]
    if len(named) == 1:
        return named[0]
    raise LoadRejected([f"holds several layers ({', '.join(layers)}): keep one, or name it {layer}"])


def sniff_shapefile_encoding(source: Path) -> str | None:
    """The encoding of a Shapefile's .dbf that declares none; None to let GDAL decide.

    With neither a .cpg file nor a code-page byte GDAL reads the .dbf as Latin-1, which turns the GBK Chinese of
    most Chinese deliveries into mojibake. Such a .dbf is UTF-8 when its bytes decode as UTF-8, else GB18030 (a
    superset of GBK).
    """
    if source.suffix.lower() != ".shp":
        return None
    siblings = {p.suffix.lower(): p for p in source.parent.iterdir() if p.stem == source.stem}
    dbf = siblings.get(".dbf")
    if ".cpg" in siblings or dbf is None:
        return None
    raw = dbf.read_bytes()
    if len(raw) > 29 and raw[29] != 0:       # language driver id: GDAL knows the code page
        return None
    if raw.isascii():
        return None
    try:
        raw.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def read_csv(source: Path, encoding: str | None) -> pd.DataFrame:
    """Every column as text, so codes keep their leading zeros."""
    table = parse_csv(read_text(source, encoding))
    return pd.DataFrame([values for _, values in table.rows], columns=table.columns, dtype=object)


def read_text(source: Path, encoding: str | None) -> str:
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise LoadRejected([f"cannot read: {exc}"]) from None
    return decode_text(data, encoding)


def decode_text(data: bytes, encoding: str | None) -> str:
    """The file's text in ``encoding``, else UTF-8 (BOM or not), else GB18030: Excel's Chinese CSVs are GBK more
    often than not, and GB18030 is its superset."""
    tries = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tries:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise LoadRejected([f"unknown encoding {enc!r}"]) from None
    raise LoadRejected([f"cannot decode as {' or '.join(tries)}: give --encoding"])


@dataclass
class CsvTable:
    columns: list[str]
    rows: list[tuple[int, dict[str, str | None]]]    # (line of the file the row ends on, column → text)


def parse_csv(text: str) -> CsvTable:
    """The rows of CSV text under its header (line 1), values as text; empty lines are skipped, a short row's
    missing values are None, a column named twice is read again as 'name.1' (as pandas does)."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    try:
        header = next(reader, None)
        if not header:
            raise LoadRejected(["cannot read as CSV: no header line"])
        columns = _unique_columns(header)
        rows = []
        for record in reader:
            if not record:
                continue
            if len(record) > len(columns):
                raise LoadRejected([f"cannot read as CSV: line {reader.line_num} has {len(record)} fields, "
                                    f"the header {len(columns)}"])
            rows.append((reader.line_num, dict(zip(columns, record + [None] * (len(columns) - len(record))))))
    except csv.Error as exc:
        raise LoadRejected([f"cannot read as CSV: line {reader.line_num}: {exc}"]) from None
    return CsvTable(columns, rows)


def _unique_columns(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = defaultdict(int)
    columns = []
    for name in header:
        columns.append(f"{name}.{seen[name]}" if seen[name] else name)
        seen[name] += 1
    return columns


# ================================================================================================ fields

def detect_fields(layer: str, columns: Sequence[str],
                  given: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Map each role the layer knows (code, name, parent, lon, lat, extras) to a column of the file.

    ``given`` holds the fields named by options (role → field); an option naming a field the file lacks is an
    error. Other roles come from the candidate table (match_fields); roles not found are left out.
    """
    roles = layer_roles(layer)
    by_name = _columns_by_name(columns)
    fields: dict[str, str] = {}
    problems = []
    for role, name in (given or {}).items():
        if not name:
            continue
        if role not in roles:
            problems.append(f"{OPTION_OF_ROLE.get(role, role)} does not apply to the {layer} layer")
        elif name in columns or _name_key(name) in by_name:
            fields[role] = name if name in columns else by_name[_name_key(name)]
        else:
            problems.append(f"no field {name!r} (given by {OPTION_OF_ROLE.get(role, role)}); "
                            f"fields: {', '.join(map(str, columns)) or 'none'}")
    if problems:
        raise LoadRejected(problems)
    return match_fields(roles, columns, fields)


def match_fields(roles: Mapping[str, Sequence[str]], columns: Sequence[str],
                 fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role → column for the roles ``fields`` does not fill yet: in the order of ``roles``, the first of its
    candidate names the file has (case and surrounding spaces ignored) that no other role took."""
    by_name = _columns_by_name(columns)
    found = dict(fields or {})
    taken = set(found.values())
    for role, candidates in roles.items():
        if role in found:
            continue
        column = next((by_name[_name_key(c)] for c in candidates
                       if _name_key(c) in by_name and by_name[_name_key(c)] not in taken), None)
        if column is not None:
            found[role] = column
            taken.add(column)
    return found


def _name_key(name: str) -> str:
    return str(name).strip().lower()


def _columns_by_name(columns: Sequence[str]) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(_name_key(column), str(column))
    return by_name


def require_code_field(layer: str, fields: Mapping[str, str], columns: Sequence[str]) -> None:
    """Without a code field every feature would lack its code: say so once, with what was looked for.
    (A district boundary may do without: its code is then the file's name.)"""
    if "code" in fields or layer == "district":
        return
    looked_for = ", ".join(layer_roles(layer)["code"])
    raise LoadRejected([f"no code field (looked for {looked_for}): name it with --id-field; "
                        f"fields: {', '.join(columns) or 'none'}"])


def attribute_columns(frame: pd.DataFrame) -> list[str]:
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [str(c) for c in frame.columns if c != geometry]


def layer_roles(layer: str) -> dict[str, tuple[str, ...]]:
    """Role → candidate names for ``layer``, in the order roles claim fields: code and parent before name, so the
    generic names cannot take a parent's field."""
    own = LAYER_FIELDS[layer]
    roles: dict[str, tuple[str, ...]] = {"code": own["code"] + GENERIC_FIELDS["code"]}
    if "parent" in own:
        roles["parent"] = own["parent"]
    roles["name"] = own["name"] + GENERIC_FIELDS["name"]
    roles.update({role: names for role, names in own.items() if role not in roles})
    if layer in POINT_LAYERS:
        roles["lon"] = GENERIC_FIELDS["lon"]
        roles["lat"] = GENERIC_FIELDS["lat"]
    return roles


def clean_value(value: Any) -> str | None:
    """A field value as trimmed text; None for empty. Whole floats lose their '.0' (codes read as numbers)."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            value = int(value)
    elif isinstance(value, np.integer):
        value = int(value)
    elif not isinstance(value, str) and pd.isna(value):
        return None
    text = str(value).strip()
    return text or None


# ================================================================================================ geometry

def with_point_geometry(frame: pd.DataFrame, fields: Mapping[str, str], prefer_columns: bool) -> gpd.GeoDataFrame:
    """The frame with a geometry: its own, or points from the lon/lat columns (CSV, or when the options name them)."""
    has_geometry = isinstance(frame, gpd.GeoDataFrame) and not shapely.is_missing(frame.geometry.values).all()
    if has_geometry and not prefer_columns:
        return frame
    if "lon" not in fields or "lat" not in fields:
        if has_geometry:
            return frame
        raise LoadRejected([f"no geometry, and no longitude/latitude columns found "
                            f"(give --lon-field and --lat-field); fields: {', '.join(attribute_columns(frame))}"])
    x = pd.to_numeric(pd.Series(frame[fields["lon"]]).map(clean_value), errors="coerce").to_numpy()
    y = pd.to_numeric(pd.Series(frame[fields["lat"]]).map(clean_value), errors="coerce").to_numpy()
    points = [Point(a, b) if np.isfinite(a) and np.isfinite(b) else None for a, b in zip(x, y)]
    data = pd.DataFrame(frame[attribute_columns(frame)])
    return gpd.GeoDataFrame(data, geometry=points)


def parse_crs(option: str | None) -> CRS | str | None:
    """--crs: None (use the file's), 'gcj02', or a pyproj CRS from '4549', 'EPSG:4549', a WKT or PROJ string."""
    if option is None or not option.strip():
        return None
    text = option.strip()
    if text.lower().replace("-", "").replace("_", "") in ("gcj02", "gcj"):
        return GCJ02
    try:
        return CRS.from_epsg(int(text)) if text.isdigit() else CRS.from_user_input(text)
    except CRSError:
        raise LoadRejected([f"unknown CRS {option!r}: give an EPSG code such as 4549 or EPSG:4549, or gcj02"]) \
            from None


def to_wgs84(frame: gpd.GeoDataFrame, crs: CRS | str | None, declared: CRS | None) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326: from --crs when given, else from what the file declares, else take it as 4326."""
    if crs == GCJ02:
        # GCJ-02 is lon/lat with a position-dependent offset: no CRS of pyproj, geo.crs undoes it.
        converted = [geometry_gcj02_to_wgs84(g) if g is not None else None for g in frame.geometry]
        frame = frame.set_geometry(gpd.GeoSeries(converted, index=frame.index), crs=4326)
        source_name = "GCJ-02"
    else:
        source = crs or declared or CRS.from_epsg(4326)
        frame = frame.set_crs(source, allow_override=True).to_crs(4326)
        source_name = source.to_string()
    check_lon_lat(frame, source_name, declared_only=crs is None)
    return frame


def check_lon_lat(frame: gpd.GeoDataFrame, source_name: str, declared_only: bool) -> None:
    """Projected metres read as degrees land far off the globe: say so, and how to fix it."""
    values = frame.geometry.values
    geoms = frame.geometry[~shapely.is_missing(values) & ~shapely.is_empty(values)]
    if geoms.empty:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    if all(np.isfinite([minx, miny, maxx, maxy])) and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return
    hint = "the file declares no CRS or a wrong one" if declared_only else "is --crs right?"
    raise LoadRejected([f"coordinates read as {source_name} are not longitude/latitude after conversion "
                        f"(x {minx:.6g}…{maxx:.6g}, y {miny:.6g}…{maxy:.6g}): {hint}; "
                        f"give the file's CRS with --crs, e.g. --crs 4549"])


def polygon_or_problem(geom: BaseGeometry | None) -> tuple[MultiPolygon | None, str | None, str | None]:
    """(valid MultiPolygon, repair reason, problem) for one feature of an area layer."""
    if geom is None:
        return None, None, "no geometry"
    if geom.is_empty:
        return None, None, "empty geometry"
    if not isinstance(geom, (Polygon, MultiPolygon)):
        return None, None, f"not a polygon ({geom.geom_type})"
    fixed, reason = repair(shapely.force_2d(geom))
    if fixed.is_empty:
        return None, None, f"invalid polygon with no area left after repair ({reason})"
    return fixed, reason, None


def point_or_problem(geom: BaseGeometry | None) -> tuple[Point | None, str | None]:
    """(Point, problem) for one feature of a point layer; a MultiPoint of one point counts as that point."""
    if geom is None:
        return None, "no geometry (or no usable coordinates)"
    if geom.is_empty:
        return None, "empty geometry"
    if isinstance(geom, MultiPoint) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if not isinstance(geom, Point):
        return None, f"not a point ({geom.geom_type})"
    return shapely.force_2d(geom), None


# ================================================================================================ checks

def build_features(layer: str, frame: gpd.GeoDataFrame, fields: Mapping[str, str],
                   default_code: str) -> list[Feature]:
    """The file's features with their cleaned values, and every problem visible without the database."""
    if layer == "district" and "code" not in fields:
        frame = dissolve_district(frame)
    attr_roles = [role for role in fields if role not in ("code", "lon", "lat")]
    records = pd.DataFrame(frame[attribute_columns(frame)]).to_dict("records")
    features = []
    for number, (values, geom) in enumerate(zip(records, frame.geometry), start=1):
        # Only a district may come without a code field (require_code_field): it is named after its file.
        code = clean_value(values[fields["code"]]) if "code" in fields else default_code
        attrs = {role: clean_value(values[fields[role]]) for role in attr_roles}
        feature = Feature(number=number, code=code, geom=geom, attrs=attrs)
        check_feature(layer, feature)
        features.append(feature)
    mark_duplicates(features)
    return features


def dissolve_district(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A boundary without a code field is one district, however many features (exclaves) the file splits it in."""
    if len(frame) <= 1:
        return frame
    polygons = [repair(g)[0] for g in frame.geometry if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    first_row = pd.DataFrame(frame[attribute_columns(frame)]).iloc[[0]]
    return gpd.GeoDataFrame(first_row, geometry=[shapely.union_all(polygons)], crs=frame.crs)


def check_feature(layer: str, feature: Feature) -> None:
    if feature.code is None:
        feature.reject("missing code")
    elif len(feature.code) > MAX_CODE_LENGTH:
        feature.reject(f"code longer than {MAX_CODE_LENGTH} characters")
    if layer in POLYGON_LAYERS:
        feature.geom, feature.repair_reason, problem = polygon_or_problem(feature.geom)
    else:
        feature.geom, problem = point_or_problem(feature.geom)
    if problem:
        feature.reject(problem)
    check_extras(layer, feature)


def check_extras(layer: str, feature: Feature) -> None:
    """Values the tables constrain: community kind, crew status and size, crew department."""
    attrs = feature.attrs
    for role in ("worker_phone", "cadre_phone", "kind"):
        if len(attrs.get(role) or "") > MAX_CODE_LENGTH:
            feature.reject(f"{role} longer than {MAX_CODE_LENGTH} characters")
    if layer == "communities":
        kind = attrs.get("kind") or "社区"
        attrs["kind"] = COMMUNITY_KINDS.get(kind.lower(), kind)
        if attrs["kind"] not in ("社区", "村"):
            feature.reject(f"kind {kind!r} is neither 社区 nor 村")
    if layer == "crews":
        attrs["status"] = (attrs.get("status") or "available").lower()
        if attrs["status"] not in CREW_STATUSES:
            feature.reject(f"status {attrs['status']!r} is not one of {', '.join(CREW_STATUSES)}")
        members = attrs.get("members") or "1"
        if not members.isdigit() or int(members) < 1:
            feature.reject(f"members {members!r} is not a positive whole number")
        if not attrs.get("parent"):
            feature.reject("no department code (a department_code or 部门编码 field, or --parent-field)")


def mark_duplicates(features: Sequence[Feature]) -> None:
    numbers: dict[str, list[int]] = defaultdict(list)
    for feature in features:
        if feature.code is not None:
            numbers[feature.code].append(feature.number)
    for feature in features:
        seen = numbers.get(feature.code or "", [])
        if len(seen) > 1:
            feature.reject(f"duplicate code (features {', '.join(map(str, seen))} of the file)")


def check_against_database(conn, layer: str, features: Sequence[Feature]) -> None:
    """Inside the district, and a parent that exists: marks the features that fail."""
    if layer == "district":
        return
    candidates = [f for f in features if f.ok]
    if not loading.district_loaded(conn):
        labels = [f.label for f in features]
        shown = ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10 else "")
        raise LoadRejected([f"no district loaded yet, so {shown} cannot be placed: "
                            f"load the district boundary first (python -m etl load district FILE)"])
    check_inside_district(conn, layer, candidates)
    if layer == "crews":
        check_crew_parents(conn, [f for f in candidates if f.ok])
    else:
        check_parents(conn, layer, [f for f in candidates if f.ok])


def check_inside_district(conn, layer: str, features: Sequence[Feature]) -> None:
    shares = loading.share_outside_district(conn, [f.geom for f in features])
    for feature, share in zip(features, shares):
        if layer in POINT_LAYERS and share > 0:
            feature.reject("outside the district")
        elif layer in POLYGON_LAYERS and share > MAX_SHARE_OUTSIDE:
            feature.reject(f"{share:.1%} of its area lies outside the district (at most "
                           f"{MAX_SHARE_OUTSIDE:.0%} may)")


def check_parents(conn, layer: str, features: Sequence[Feature]) -> None:
    """A parent code from the file must exist; without one the parent is found on the map."""
    parent_table, _ = loading.PARENTS[layer]
    noun = PARENT_NOUN[layer]
    named = [f for f in features if f.attrs.get("parent")]
    known = loading.existing_codes(conn, parent_table, (f.attrs["parent"] for f in named))
    for feature in named:
        if feature.attrs["parent"] not in known:
            feature.reject(f"{noun} {feature.attrs['parent']!r} does not exist")
    unnamed = [f for f in features if not f.attrs.get("parent")]
    found = loading.find_parents(conn, layer, gpd.GeoDataFrame(geometry=[f.geom for f in unnamed], crs=4326))
    for feature, parent in zip(unnamed, found):
        if parent is None:
            feature.reject(f"lies in no {noun}")
        feature.attrs["parent"] = parent


def check_crew_parents(conn, features: Sequence[Feature]) -> None:
    departments = loading.existing_codes(conn, "departments", (f.attrs["parent"] for f in features))
    grids = loading.existing_codes(conn, "grids", (f.attrs["grid"] for f in features if f.attrs.get("grid")))
    for feature in features:
        if feature.attrs["parent"] not in departments:
            feature.reject(f"department {feature.attrs['parent']!r} does not exist")
        if feature.attrs.get("grid") and feature.attrs["grid"] not in grids:
            feature.reject(f"grid {feature.attrs['grid']!r} does not exist")


# ================================================================================================ rows

def row_of(layer: str, feature: Feature) -> dict[str, Any]:
    """The table row of a checked feature; a missing name falls back to the code (names are NOT NULL)."""
    a = feature.attrs
    row: dict[str, Any] = {"code": feature.code, "name": a.get("name") or feature.code}
    if layer in loading.PARENTS:
        row[loading.PARENTS[layer][1]] = a["parent"]
    if layer == "communities":
        row["kind"] = a["kind"]
    elif layer == "grids":
        row.update({k: a.get(k) for k in ("worker_name", "worker_phone", "cadre_name", "cadre_phone")})
    elif layer == "cameras":
        row["name"] = a.get("name")                     # cameras may stay unnamed
        row["kind"] = a.get("kind") or DEFAULT_CAMERA_KIND
    elif layer == "crews":
        row.update({"kind": a.get("kind") or DEFAULT_CREW_KIND, "grid_code": a.get("grid"),
                    "members": int(a.get("members") or 1), "status": a["status"], "home_geom": feature.geom})
    row["geom"] = feature.geom
    return row
