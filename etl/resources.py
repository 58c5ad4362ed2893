"""Social forces' data: the seed at the district's reported scale (in `python -m etl reference`) and
`python -m etl resources FILE` to import a resource list (CSV or XLSX, Chinese headers, all rows or none).

The seed: 574 social organisations, 338 volunteer teams with 11,000 volunteers, and the public-welfare posts — 195
patrol, 527 '4050' community guards, 1,200 sanitation, 200 traffic assistants, 2,320 cleaning, greening and
security — each with the grid cells of its community it covers; and the one-key-phone registry filled to its 4,000
elders (the very registry alarms are raised from, etl/devices.py), each with an emergency contact. A patrol post
walks at most ``PATROL_REACH`` cells, so the large communities of the hills and villages keep cells no patrol
reaches: the coverage gaps the page maps are the queries' answer on these rows, not a list written here.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone

import numpy as np

from simulation.names import SURNAMES, mobile_phone, person_name
from workorders.resources import CODE_PREFIX, ORGANISATION, PATROL, VOLUNTEERS, group_of

ORGANISATIONS, TEAMS, VOLUNTEER_PEOPLE = 574, 338, 11_000
POST_COUNTS = {PATROL: 195, "4050社区保安": 527, "环卫岗": 1200, "交通协管岗": 200, "保洁绿化保安岗": 2320}
PATROL_REACH = 5              # cells one patrol post walks
TEAM_REACH = 3               # cells a volunteer team serves
ORG_KINDS = ("老年协会", "文体协会", "邻里互助会", "居家养老服务站", "慈善超市", "心理咨询工作室", "青少年活动中心",
             "残疾人协会", "法律服务站", "业主委员会", "社会工作服务站", "妇女儿童之家")
TEAM_THEMES = ("党员先锋", "巾帼", "青年", "夕阳红", "邻里守望", "平安", "文明交通", "环保", "助老", "法律援助",
               "红十字", "雷锋")
RELATIONS = ("儿子", "女儿", "儿媳", "女婿", "孙子", "孙女", "邻居")


def _spread(total: int, weights: np.ndarray, rng: np.random.Generator, at_least: int = 0) -> np.ndarray:
    """``total`` items over places by weight, each place ``at_least`` first (when there are enough)."""
    base = np.full(len(weights), at_least if at_least * len(weights) <= total else 0)
    rest = total - int(base.sum())
    return base + rng.multinomial(rest, weights / weights.sum())


def _shares(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split by weight in whole numbers (largest remainders first): the same split on every run."""
    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(int)
    shares[np.argsort(-(exact - shares), kind="stable")[:total - int(shares.sum())]] += 1
    return shares


def _volunteer_sizes(rng: np.random.Generator) -> list[int]:
    """Team sizes (8–80) that add up to the district's 11,000 volunteers."""
    sizes = rng.integers(12, 54, TEAMS)
    sizes = np.maximum(8, np.round(sizes * VOLUNTEER_PEOPLE / sizes.sum())).astype(int)
    sizes[int(np.argmax(sizes))] += VOLUNTEER_PEOPLE - int(sizes.sum())
    return [int(s) for s in sizes]


def generate(rows: dict, seed: int, now: datetime) -> list[dict]:
    """Every resource of the seed from the reference rows (``communities`` with their grid counts, ``grids``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 25]))
    communities = rows["communities"]
    grids_of: dict[str, list[str]] = {}
    for grid in rows["grids"]:
        grids_of.setdefault(grid["community_code"], []).append(grid["code"])
    size = np.array([c["grids"] for c in communities], dtype=float)
    urban = np.array([c["kind"] != "村" for c in communities], dtype=float)
    out: list[dict] = []

    def add(kind: str, name: str, community: dict, grids: list[str], members: int = 1,
            leader: str | None = None) -> None:
        out.append({"code": f"{CODE_PREFIX[group_of(kind)]}{len(out) + 1:05d}", "kind": kind, "name": name,
                    "street_code": community["street_code"], "community_code": community["code"], "members": members,
                    "leader": leader or person_name(rng), "phone": mobile_phone(rng), "note": None, "source": "seed",
                    "created_by": "seed", "updated_at": now, "grid_codes": sorted(set(grids))})

    def some_cells(community: dict, low: int, high: int) -> list[str]:
        cells = grids_of[community["code"]]
        n = min(len(cells), int(rng.integers(low, high + 1)))
        return [str(c) for c in rng.choice(cells, n, replace=False)]

    for community, n in zip(communities, _spread(ORGANISATIONS, np.sqrt(size), rng, at_least=2)):
        for kind in rng.choice(ORG_KINDS, int(n), replace=int(n) > len(ORG_KINDS)):
            add(ORGANISATION, f"{community['name']}{kind}", community, grids_of[community["code"]],
                members=int(rng.integers(5, 80)))
    sizes = iter(_volunteer_sizes(rng))
    # Teams and patrol posts by the size of the community; each takes the next cells of its community in turn, so
    # a large community with few of them keeps cells nobody serves.
    for community, n in zip(communities, _shares(TEAMS, size)):
        cells = grids_of[community["code"]]
        for i in range(int(n)):
            theme = TEAM_THEMES[int(rng.integers(len(TEAM_THEMES)))]
            add(VOLUNTEERS, f"{community['name']}{theme}志愿服务队" + (f"{i + 1}分队" if n > 1 else ""), community,
                cells[i * TEAM_REACH:(i + 1) * TEAM_REACH] or some_cells(community, 1, TEAM_REACH),
                members=next(sizes))
    # Patrol posts where people live (none in the villages).
    for community, n in zip(communities, _shares(POST_COUNTS[PATROL], size * urban)):
        cells = grids_of[community["code"]]
        for i in range(int(n)):
            add(PATROL, f"{community['name']}治安巡逻岗{i + 1}号", community,
                cells[i * PATROL_REACH:(i + 1) * PATROL_REACH] or cells[-PATROL_REACH:])
    for kind in ("4050社区保安", "环卫岗", "交通协管岗", "保洁绿化保安岗"):
        weights = size * (urban if kind in ("4050社区保安", "交通协管岗") else 1.0)
        for community, n in zip(communities, _spread(POST_COUNTS[kind], weights, rng)):
            for i in range(int(n)):
                add(kind, f"{community['name']}{kind}{i + 1}号", community, some_cells(community, 1, 2))
    return out


def contacts(device_ids: list[str], names: dict[str, str], seed: int) -> list[dict]:
    """An emergency contact for each elder: a child (same family name mostly) or a neighbour, with a mobile."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 26]))
    out = []
    for device_id in device_ids:
        relation = RELATIONS[int(rng.choice(len(RELATIONS), p=[0.3, 0.3, 0.1, 0.08, 0.08, 0.06, 0.08]))]
        surname = (names.get(device_id) or "王")[0] if relation in ("儿子", "女儿", "孙子", "孙女") \
            else str(rng.choice(SURNAMES))
        out.append({"device_id": device_id, "contact_name": f"{surname}{person_name(rng)[1:]}（{relation}）",
                    "contact_phone": mobile_phone(rng)})
    return out


# ------------------------------------------------------------------------------------------------ CLI

def register(subparsers) -> None:
    cmd = subparsers.add_parser("resources", help="import social forces (CSV/XLSX, Chinese headers; all or none)")
    cmd.add_argument("file")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from etl.importing import importer, run_import
    from services.resources import import_file
    return run_import(args.file, lambda file: import_file(importer("supervisor"), file), "resource")


# ------------------------------------------------------------------------------------------------ seed

def seed_elders(engine=None, seed: int | None = None) -> int:
    """The one-key-phone registry filled to its 4,000 elders when it holds fewer (the generated registry of
    etl/devices.py, devices already registered kept as they are), and a contact for every elder without one.
    Returns the devices added."""
    from etl.devices import ELDERS, generate_elder_devices, generate_rows, import_rows
    from geo import devices as devices_db
    from geo import resources as resources_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    added = 0
    with engine.connect() as conn:
        short = devices_db.count_devices(conn) < ELDERS
    if short:
        generated = generate_elder_devices(seed, engine)
        with engine.connect() as conn:
            known = devices_db.existing_device_ids(conn, [r["device_id"] for r in generated])
        fresh = [r for r in generated if r["device_id"] not in known]
        if fresh:
            added = import_rows(generate_rows(fresh), engine=engine).new
    with engine.begin() as conn:
        missing = resources_db.devices_without_contact(conn)
        names = {d: r["elder_name"] for d, r in devices_db.devices_by_ids(conn, missing).items()}
        resources_db.set_contacts(conn, contacts(missing, names, seed))
    return added


def seed_if_empty(engine=None, seed: int | None = None, now: datetime | None = None) -> int:
    """The district's social forces at their reported scale, generated from the reference seed; once (returns the
    resources written, 0 when there are some already). The elders' registry is filled either way."""
    from geo import resources as resources_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    seed_elders(engine, seed)
    with engine.begin() as conn:
        if resources_db.has_resources(conn):
            return 0
        rows = generate(resources_db.reference_rows(conn), seed, now or datetime.now(timezone.utc))
        return resources_db.insert_resources_bulk(conn, rows)
