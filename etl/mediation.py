"""Dispute mediation's data: the seed at the district's scale (in `python -m etl reference`) and
`python -m etl mediation FILE` to import a case list (CSV or XLSX, Chinese headers, all rows or none).

The seed: one people's mediation committee per community and village (90, street level), 67 sector-specific
organisations, 2,000 mediators, and 3,450 cases over the last year — 40 still open, 3,373 of the 3,410 closed
mediated successfully (98.9 %, the district's reported rate) — so that /mediation and the leader view show the
district's own figures, computed by the queries from these rows.

Besides the cases, each community's monthly screening round (矛盾纠纷排查) over the same year: together they found
and resolved 2,546 disputes ahead (before any became a case) and removed 196 of the stability hazards they found —
the district's reported 排查 figures, again the sums of the rows.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from simulation.names import mobile_phone, person_name
from workorders.mediation import KINDS, SECTORS, SUCCESS

SECTOR_ORGS, MEDIATORS, CASES, OPEN_CASES, SUCCESSES = 67, 2000, 3450, 40, 3373
# 排查: disputes resolved ahead and hazards removed over the year; a few found are still being worked on.
RESOLVED_AHEAD, HAZARDS_REMOVED, STILL_OPEN_FOUND, HAZARDS_LEFT = 2546, 196, 58, 11
SCREENING_MONTHS = 12
KIND_WEIGHTS = (0.32, 0.14, 0.16, 0.09, 0.08, 0.07, 0.06, 0.03, 0.05)
OTHER_OUTCOMES = {"未成功": 17, "转诉讼": 12, "转仲裁": 8}
SUMMARIES = {"邻里纠纷": ["楼上漏水损坏楼下房屋", "占用楼道堆放杂物", "饲养宠物噪音扰民", "装修噪音影响休息"],
             "婚姻家庭": ["赡养老人费用分担", "离婚后子女探视", "家庭财产分割"],
             "物业纠纷": ["物业费收缴争议", "小区停车位使用", "电梯维修费用分摊"],
             "劳动争议": ["拖欠农民工工资", "工伤赔偿", "解除劳动合同补偿"],
             "土地房屋": ["宅基地界址争议", "房屋买卖过户", "拆迁补偿"],
             "消费纠纷": ["预付卡退费", "商品质量退换"], "交通事故": ["交通事故赔偿"],
             "医疗纠纷": ["医疗费用争议", "诊疗结果争议"], "其他": ["合同履行争议", "债务纠纷"]}


def generate(conn_rows: dict, seed: int, now: datetime) -> dict[str, list[dict]]:
    """Organisations, mediators and cases from the reference rows (``communities``, ``streets``, ``grids``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
    communities, streets, grids = conn_rows["communities"], conn_rows["streets"], conn_rows["grids"]
    orgs = [{"code": f"MC{c['code']}", "name": f"{c['name']}人民调解委员会", "level": "street", "sector": None,
             "street_code": c["street_code"], "community_code": c["code"]} for c in communities]
    for i in range(SECTOR_ORGS):
        street = streets[i % len(streets)]
        sector = SECTORS[i % len(SECTORS)]
        orgs.append({"code": f"MS{i + 1:03d}", "name": f"{street['name']}{sector}调解委员会", "level": "sector",
                     "sector": sector, "street_code": street["code"], "community_code": None})
    # Each organisation has at least five mediators; the rest spread by chance.
    per_org = [5] * len(orgs)
    for index in rng.integers(0, len(orgs), MEDIATORS - 5 * len(orgs)):
        per_org[int(index)] += 1
    mediators = [{"name": person_name(rng), "org_code": org["code"], "phone": mobile_phone(rng)}
                 for org, n in zip(orgs, per_org) for _ in range(n)]
    outcomes = [SUCCESS] * SUCCESSES + [o for o, n in OTHER_OUTCOMES.items() for _ in range(n)]
    outcomes += [None] * (CASES - len(outcomes))
    assert len(outcomes) == CASES and outcomes.count(None) == OPEN_CASES
    rng.shuffle(outcomes)
    street_org = {o["community_code"]: o["code"] for o in orgs if o["level"] == "street"}
    sector_orgs = {s: [o["code"] for o in orgs if o["sector"] == s] for s in SECTORS}
    cases = []
    for outcome in outcomes:
        kind = KINDS[int(rng.choice(len(KINDS), p=np.array(KIND_WEIGHTS) / sum(KIND_WEIGHTS)))]
        grid = grids[int(rng.integers(len(grids)))]
        org = (sector_orgs[kind][int(rng.integers(len(sector_orgs[kind])))]
               if kind in sector_orgs and rng.random() < 0.3 else street_org[grid["community_code"]])
        if outcome is None:
            opened = now - timedelta(days=float(rng.uniform(0, 10)))
            closed = None
        else:
            opened = now - timedelta(days=float(rng.uniform(25, 365)))
            closed = opened + timedelta(days=float(rng.uniform(1, 20)))
        text = SUMMARIES[kind][int(rng.integers(len(SUMMARIES[kind])))]
        cases.append({"kind": kind, "summary": text, "parties": f"{person_name(rng)}、{person_name(rng)}",
                      "grid_code": grid["code"], "org_code": org, "mediator_id": None, "sessions":
                      int(rng.integers(1, 4)) if outcome else int(rng.integers(0, 2)), "outcome": outcome,
                      "agreement": "双方达成调解协议，当场履行" if outcome == SUCCESS else None, "source": "seed",
                      "opened_at": opened, "closed_at": closed, "created_by": "seed"})
    return {"orgs": orgs, "mediators": mediators, "cases": cases}


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out[::-1]


def generate_screenings(communities: list[dict], seed: int, today: date) -> list[dict]:
    """One round per community and month over the last year (this month's only up to today), the district's totals
    spread over them by chance."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])
    rounds = []
    for month in _month_starts(today, SCREENING_MONTHS):
        last = min(today, (month + timedelta(days=31)).replace(day=1) - timedelta(days=1))
        for c in communities:
            day = month + timedelta(days=int(rng.integers(0, (last - month).days + 1)))
            rounds.append({"community_code": c["code"], "screened_on": day})
    n = len(rounds)
    resolved, unresolved = rng.multinomial(RESOLVED_AHEAD, [1 / n] * n), rng.multinomial(STILL_OPEN_FOUND, [1 / n] * n)
    removed, left = rng.multinomial(HAZARDS_REMOVED, [1 / n] * n), rng.multinomial(HAZARDS_LEFT, [1 / n] * n)
    for r, res, unres, rem, lft in zip(rounds, resolved, unresolved, removed, left):
        r.update(disputes_found=int(res + unres), disputes_resolved=int(res), hazards_found=int(rem + lft),
                 hazards_removed=int(rem), note=None, source="seed", created_by="seed")
    return rounds


def register(subparsers) -> None:
    cmd = subparsers.add_parser("mediation", help="import dispute cases (CSV/XLSX, Chinese headers; all or none)")
    cmd.add_argument("file")
    cmd.add_argument("--screenings", action="store_true",
                     help="the file holds screening rounds (社区编码, 排查日期, 排查发现纠纷, 化解纠纷, 发现隐患, 排除隐患)")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from etl.importing import importer, run_import
    from services.mediation import import_cases_file, import_screenings_file
    do_import = import_screenings_file if args.screenings else import_cases_file
    return run_import(args.file, lambda file: do_import(importer("supervisor"), file),
                      "screening round" if args.screenings else "case")


def seed_if_empty(engine=None, seed: int | None = None, now: datetime | None = None) -> int:
    """The district's mediation at its reported scale, generated from the reference seed; once (returns the cases
    written, 0 when organisations exist already)."""
    from geo import mediation as mediation_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    seed = get_settings().reference_seed if seed is None else seed
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        if not mediation_db.has_screenings(conn):       # its own check: a database seeded before the rounds existed
            today = now.astimezone(ZoneInfo(get_settings().timezone)).date()
            mediation_db.insert_screenings(conn, generate_screenings(
                mediation_db.reference_rows(conn)["communities"], seed, today))
        if mediation_db.has_organisations(conn):
            return 0
        data = generate(mediation_db.reference_rows(conn), seed, now)
        mediation_db.insert_organisations(conn, data["orgs"])
        mediation_db.insert_mediators(conn, data["mediators"])
        by_org = mediation_db.mediator_ids_by_org(conn)
        for i, case in enumerate(data["cases"]):
            ids = by_org[case["org_code"]]
            case["mediator_id"] = ids[i % len(ids)]
        return mediation_db.insert_cases_bulk(conn, data["cases"])
