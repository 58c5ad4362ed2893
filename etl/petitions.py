"""Petitions' and police stations' data: the seed at the district's reported scale (in `python -m etl reference`)
and `python -m etl petitions FILE` to import a petition list (CSV or XLSX, Chinese headers, all rows or none).

The seed: 12 police stations whose areas are the unions of the cells of the streets they police (the 14 streets,
the smallest merged with a neighbour until 12 remain), 110 police units as crews of their stations and the 90
community auxiliary police of the reference data assigned to the station around their home; and the reception
center's 1,150 petitions of the last year — 60 still open — with their levels, the 越级上访 among them linked to the
failed mediation cases of their street they grew from, and a lawyer in every 涉法涉诉 and relocation case.

The 越级上访's work orders: `etl reference` runs before any ticket exists, so link_seeded_tickets links them once
tickets are there — at the end of `python -m etl history` (either writer), and in `etl reference` itself when run
again over tickets: each seeded 越级 without a work order gets 1–3 open or closed ones registered before it, of a
matching category (its issue's, else its kind's), of its grid cell, else of its community (workorders/petitions.py:
origin_categories, choose_origins), drawn from the reference seed; one that has some already is left as it is.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from etl.resources import _shares
from simulation.names import mobile_phone, person_name
from workorders.petitions import (AUXILIARY_KIND, DISTRICT, KINDS, LAWYER_KINDS, LEVELS, ORIGIN_STATES, OUTCOMES,
                                  POLICE_DEPARTMENT, UNIT_KIND, choose_origins, origin_categories)

STATIONS, POLICE_UNITS, PETITIONS, OPEN_PETITIONS = 12, 110, 1150, 60
KIND_WEIGHTS = (0.18, 0.14, 0.17, 0.16, 0.08, 0.17, 0.10)
LEVEL_WEIGHTS = (0.86, 0.09, 0.04, 0.01)
SKIPPED_SHARE = 0.75                 # of the petitions above the district: lodged there before the district answered
OUTCOME_WEIGHTS = (0.74, 0.13, 0.08, 0.05)
CHANNEL_WEIGHTS = (0.45, 0.15, 0.30, 0.10)
ISSUES = {"涉法涉诉": ["不服法院判决申诉", "执行款迟迟未到位", "对公安机关处理结果不满"],
          "征地拆迁": ["拆迁补偿标准争议", "回迁安置房延期交付", "棚户区改造评估价格异议"],
          "劳动社保": ["企业拖欠工资", "退休待遇核定争议", "工伤认定不服"],
          "城建管理": ["小区供暖不达标屡次反映未解决", "违章建筑长期未拆除", "老旧小区改造质量问题"],
          "环境保护": ["工厂噪音扰民", "餐饮油烟污染"],
          "民生救助": ["低保资格认定", "残疾人补贴发放", "困难家庭救助申请"],
          "其他": ["物业服务纠纷", "邻里矛盾多次调解未果"]}
LAW_FIRMS = ("辽宁千山律师事务所", "鞍山正源律师事务所", "辽宁钢都律师事务所", "鞍山明信律师事务所")


def station_groups(streets: list[dict], count: int = STATIONS) -> list[list[dict]]:
    """Streets grouped into ``count`` station areas: the group with the fewest cells joins its smallest
    neighbouring group until ``count`` remain (a station polices whole streets, as the district's do)."""
    groups = [[s] for s in streets]
    size = lambda g: sum(len(s["grid_codes"]) for s in g)  # noqa: E731
    while len(groups) > count:
        smallest = min(groups, key=size)
        codes = {c for s in smallest for c in s["neighbours"]}
        neighbours = [g for g in groups if g is not smallest and any(s["code"] in codes for s in g)]
        partner = min(neighbours or [g for g in groups if g is not smallest], key=size)
        groups.remove(smallest)
        partner.extend(smallest)
    return sorted(groups, key=lambda g: min(s["code"] for s in g))


def generate_stations(rows: dict, seed: int) -> tuple[list[dict], list[dict]]:
    """The stations and their police units from the reference rows (``streets``, ``grids``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 27]))
    grids = {g["code"]: g for g in rows["grids"]}
    stations, crews = [], []
    groups = station_groups(rows["streets"])
    for i, group in enumerate(groups, start=1):
        head = max(group, key=lambda s: len(s["grid_codes"]))
        stations.append({"code": f"PCS{i:02d}", "name": f"{head['name'].removesuffix('街道')}派出所",
                         "street_codes": [s["code"] for s in group],
                         "grid_codes": [c for s in group for c in s["grid_codes"]],
                         "phone": f"0412-{int(rng.integers(5_500_000, 5_599_999))}"})
    for station, n in zip(stations, _shares(POLICE_UNITS, np.array([len(s["grid_codes"]) for s in stations], float))):
        for k in range(1, int(n) + 1):
            home = grids[str(rng.choice(station["grid_codes"]))]
            crews.append({"code": f"{station['code']}-{k:02d}", "name": f"{station['name']}民警{k}组",
                          "department_code": POLICE_DEPARTMENT, "kind": UNIT_KIND, "members": 2,
                          "status": "available" if rng.random() < 0.85 else "off_duty",
                          "lon": home["lon"], "lat": home["lat"], "station_code": station["code"]})
    return stations, crews


def generate_petitions(rows: dict, disputes_by_street: dict, seed: int, now: datetime) -> list[dict]:
    """The seeded petitions (their work orders are linked later: link_seeded_tickets)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 28]))
    grids = rows["grids"]
    outcomes = [None] * OPEN_PETITIONS + [OUTCOMES[int(i)] for i in rng.choice(
        len(OUTCOMES), PETITIONS - OPEN_PETITIONS, p=OUTCOME_WEIGHTS)]
    rng.shuffle(outcomes)
    anywhere = [d for ids in disputes_by_street.values() for d in ids]
    out = []
    for outcome in outcomes:
        kind = KINDS[int(rng.choice(len(KINDS), p=np.array(KIND_WEIGHTS) / sum(KIND_WEIGHTS)))]
        level = LEVELS[int(rng.choice(len(LEVELS), p=LEVEL_WEIGHTS))]
        skipped = level != DISTRICT and rng.random() < SKIPPED_SHARE
        grid = grids[int(rng.integers(len(grids)))]
        street = grid["street_code"]
        received = now - timedelta(days=float(rng.uniform(0, 20) if outcome is None else rng.uniform(30, 365)))
        # A street without a failed mediation case of its own: the case the petition grew from is another street's.
        disputes = disputes_by_street.get(street) or anywhere
        dispute_ids = [int(rng.choice(disputes))] if disputes and (skipped or rng.random() < 0.08) else []
        lawyer = f"{LAW_FIRMS[int(rng.integers(len(LAW_FIRMS)))]} {person_name(rng)}律师" \
            if kind in LAWYER_KINDS else None
        out.append({"petitioner": person_name(rng), "phone": mobile_phone(rng), "kind": kind,
                    "issue": ISSUES[kind][int(rng.integers(len(ISSUES[kind])))], "level": level,
                    "skipped_level": bool(skipped),
                    "channel": ("来访", "来信", "网上信访", "电话")[int(rng.choice(4, p=CHANNEL_WEIGHTS))],
                    "grid_code": grid["code"], "lawyer": lawyer, "outcome": outcome, "received_at": received,
                    "closed_at": received + timedelta(days=float(rng.uniform(3, 60))) if outcome else None,
                    "source": "seed", "created_by": "seed", "ticket_ids": [], "dispute_ids": dispute_ids})
    return sorted(out, key=lambda r: r["received_at"])


# ------------------------------------------------------------------------------------------------ CLI

def register(subparsers) -> None:
    cmd = subparsers.add_parser("petitions", help="import petitions (CSV/XLSX, Chinese headers; all or none)")
    cmd.add_argument("file")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from etl.importing import importer, run_import
    from services.petitions import import_file
    return run_import(args.file, lambda file: import_file(importer("supervisor"), file), "petition")


# ------------------------------------------------------------------------------------------------ seed

def seed_police(engine=None, seed: int | None = None) -> int:
    """The stations once; their police units whenever they are missing (`etl reference --force` replaces every
    crew); a station for every police crew without one. Returns the units written."""
    from geo import petitions as petitions_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    with engine.begin() as conn:
        stations, crews = generate_stations(petitions_db.reference_rows(conn), seed)
        if not petitions_db.has_stations(conn):
            petitions_db.insert_stations(conn, stations)
        written = 0
        if petitions_db.count_police_crews(conn, UNIT_KIND) == 0:
            petitions_db.insert_police_crews(conn, crews)
            written = len(crews)
        petitions_db.assign_stations(conn, POLICE_DEPARTMENT)
    return written


def seed_if_empty(engine=None, seed: int | None = None, now: datetime | None = None) -> int:
    """Police stations and crews, and the reception center's petitions at its reported scale; the petitions once
    (returns those written, 0 when there are some already). After the mediation seed: petitions link its cases.
    Then, when there are tickets, the seeded 越级上访 without a work order link theirs (link_seeded_tickets)."""
    from geo import petitions as petitions_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    seed_police(engine, seed)
    written = 0
    with engine.begin() as conn:
        if not petitions_db.has_petitions(conn):
            rows = generate_petitions(petitions_db.reference_rows(conn), petitions_db.seed_links(conn), seed,
                                      now or datetime.now(timezone.utc))
            for row in rows:
                petitions_db.insert_petition(conn, row)
            written = len(rows)
    link_seeded_tickets(engine, seed)
    return written


@dataclass(frozen=True)
class Linked:
    petitions: int          # seeded 越级上访 that now link work orders
    tickets: int            # links written
    without: int            # seeded 越级上访 still without one: no ticket of their place and kind before them


def link_seeded_tickets(engine=None, seed: int | None = None) -> Linked:
    """Each seeded 越级上访 that links no work order gets the 1–3 it plausibly grew from (choose_origins), drawn
    from the reference seed and the petition; those linked already are left as they are, so running it again
    writes nothing. One transaction."""
    from geo import petitions as petitions_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    with engine.begin() as conn:
        unlinked = petitions_db.unlinked_skipped(conn, "seed")
        if not unlinked:
            return Linked(0, 0, 0)
        categories = {p["id"]: origin_categories(p["kind"], p["issue"]) for p in unlinked}
        candidates = petitions_db.origin_candidates(
            conn, {pid: sorted({c for tier in tiers for c in tier}) for pid, tiers in categories.items()},
            ORIGIN_STATES)
        links = {p["id"]: choose_origins(p["grid_code"], categories[p["id"]], candidates[p["id"]],
                                         np.random.default_rng(np.random.SeedSequence([seed, 29, int(p["id"])])))
                 for p in unlinked}
        written = petitions_db.link_tickets(conn, links)
    linked = sum(1 for ids in links.values() if ids)
    return Linked(linked, written, len(unlinked) - linked)
