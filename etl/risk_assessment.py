"""Stability risk assessment's data: the seed (in `python -m etl reference`) and `python -m etl risk FILE` to import a
project list (CSV or XLSX, Chinese headers, all rows or none).

The seed: the district's 28 assessed projects of the last year, among them the relocation on the plot east of
山南小学 (four grid cells of 山南街道) with its six risk factors, each project's area the union of a few adjacent
grid cells, so that /risk shows real-looking content and its figures come out of the queries.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone

import numpy as np

from workorders.risk_assessment import DECISIONS, KINDS, METHODS

PROJECTS_PER_YEAR = 28
SHANNAN_STREET = "山南街道"
SHANNAN_PROJECT = {
    "name": "山南小学东侧地块房屋征收与居民搬迁", "kind": "征地拆迁", "level": "中", "decision": "调整后实施",
    "methods": ["听证会", "问卷调查", "公示", "专家论证", "民意评议"], "cells": 4,
    "outcome": "已完成签约搬迁，未发生群体性事件",
    "factors": [
        ("补偿标准争议", "部分居民认为货币补偿标准低于周边二手房价格", "委托第三方评估，公示评估结果，设置复核通道"),
        ("安置房源不足", "就近安置房源有限，老年住户不愿远迁", "增加就近安置房源，允许货币与实物安置自选"),
        ("老旧小区产权不清", "部分房屋存在继承、共有产权纠纷", "司法所和律师提前介入，引导通过调解确权"),
        ("学生上学通行安全", "施工期间紧邻山南小学，学生上下学存在安全隐患", "错峰施工，设置围挡和护学岗"),
        ("商户经营损失", "沿街商户停业损失补偿诉求集中", "按经营年限和纳税情况分档补偿，协助异地经营"),
        ("群体性上访苗头", "个别居民串联，存在越级上访可能", "街道包保到户，信访接待前移，及时答复诉求"),
    ],
}
PROJECT_NAMES = {"征地拆迁": ["{place}棚户区改造", "{place}旧城改造地块征收", "{place}道路拓宽拆迁"],
                 "重大工程": ["{place}地下综合管廊建设", "{place}供热管网改造", "{place}垃圾转运站建设"],
                 "政策调整": ["{place}老旧小区物业收费标准调整", "{place}停车收费政策调整"],
                 "环境影响": ["{place}污水处理厂扩建", "{place}餐饮油烟集中整治"],
                 "教育医疗": ["{place}学区划分调整", "{place}社区卫生服务中心迁建"],
                 "其他": ["{place}农贸市场搬迁", "{place}公交线路调整"]}
FACTOR_POOL = [("补偿安置争议", "群众对补偿标准和安置方式期望较高", "公开补偿方案，一户一策做好解释"),
               ("施工扰民", "施工噪音、扬尘影响周边居民", "限定施工时段，落实扬尘防治措施"),
               ("交通出行影响", "施工占道影响居民出行", "设置临时通道，发布绕行提示"),
               ("利益群体诉求分化", "不同群体诉求差异大，易引发矛盾", "分类座谈，分别制定化解方案"),
               ("信息公开不充分", "群众对项目情况了解不足，易生误解", "通过公示、入户宣传及时公开信息"),
               ("环境健康担忧", "周边居民担心项目影响健康", "组织专家解读环评结论，开放监测数据"),
               ("就业与经营影响", "部分居民和商户收入受影响", "提供就业岗位推荐和经营帮扶")]
LEVEL_WEIGHTS = {"高": 0.1, "中": 0.35, "低": 0.55}
DECISION_OF_LEVEL = {"高": ("暂缓实施", "不予实施"), "中": ("调整后实施", "准予实施"), "低": ("准予实施",)}


def generate(conn, seed: int, today: date) -> list[tuple[dict, list[dict]]]:
    """The seed's projects with their factors, areas drawn from the grids in the database."""
    from geo import risk_assessment as risk_db
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])
    streets = risk_db.streets(conn)
    grids = risk_db.street_grids(conn)
    shannan = next((s for s in streets if s["name"] == SHANNAN_STREET), streets[0])
    out = []
    start = grids[shannan["code"]][len(grids[shannan["code"]]) // 2]
    shannan_cells = risk_db.adjacent_grids(conn, start, SHANNAN_PROJECT["cells"])
    out.append(({"name": SHANNAN_PROJECT["name"], "kind": SHANNAN_PROJECT["kind"], "street_code": shannan["code"],
                 "grid_codes": shannan_cells, "methods": SHANNAN_PROJECT["methods"], "level": SHANNAN_PROJECT["level"],
                 "decision": SHANNAN_PROJECT["decision"], "outcome": SHANNAN_PROJECT["outcome"],
                 "assessed_on": today - timedelta(days=120), "source": "seed", "created_by": "seed"},
                [{"factor": f, "analysis": a, "measures": m} for f, a, m in SHANNAN_PROJECT["factors"]]))
    levels, weights = list(LEVEL_WEIGHTS), np.array(list(LEVEL_WEIGHTS.values()))
    for i in range(PROJECTS_PER_YEAR - 1):
        street = streets[int(rng.integers(len(streets)))]
        cells = grids[street["code"]]
        kind = KINDS[int(rng.integers(len(KINDS)))]
        names = PROJECT_NAMES[kind]
        level = levels[int(rng.choice(len(levels), p=weights / weights.sum()))]
        decision = DECISION_OF_LEVEL[level][int(rng.integers(len(DECISION_OF_LEVEL[level])))]
        assert decision in DECISIONS
        methods = [m for m in METHODS if rng.random() < 0.6] or ["公示"]
        picks = rng.choice(len(FACTOR_POOL), int(rng.integers(2, 6)), replace=False)
        assessed = today - timedelta(days=int(rng.integers(1, 365)))
        out.append(({"name": names[i % len(names)].format(place=street["name"]), "kind": kind,
                     "street_code": street["code"],
                     "grid_codes": risk_db.adjacent_grids(conn, cells[int(rng.integers(len(cells)))],
                                                          int(rng.integers(1, 5))),
                     "methods": methods, "level": level, "decision": decision,
                     "outcome": "已按评估结论实施" if decision != "暂缓实施" and assessed < today - timedelta(days=90)
                     else None, "assessed_on": assessed, "source": "seed", "created_by": "seed"},
                    [dict(zip(("factor", "analysis", "measures"), FACTOR_POOL[int(p)])) for p in picks]))
    return out


def seed_if_empty(engine=None, seed: int | None = None, now: datetime | None = None) -> int:
    """The last year's assessed projects, once (returns the projects written, 0 when there are some already)."""
    from geo import risk_assessment as risk_db
    from geo.db import get_engine
    from settings import get_settings
    engine = engine or get_engine()
    with engine.begin() as conn:
        if risk_db.has_projects(conn):
            return 0
        today = (now or datetime.now(timezone.utc)).date()
        projects = generate(conn, get_settings().reference_seed if seed is None else seed, today)
        for project, factors in projects:
            risk_db.insert_project(conn, project, factors)
    return len(projects)


def register(subparsers) -> None:
    cmd = subparsers.add_parser("risk", help="import assessed projects (CSV/XLSX, Chinese headers; all or none)")
    cmd.add_argument("file")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from etl.importing import importer, run_import
    from services.risk_assessment import import_file
    return run_import(args.file, lambda file: import_file(importer("supervisor"), file), "project")
