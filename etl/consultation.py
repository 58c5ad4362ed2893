"""Democratic consultation's data: the seed (in `python -m etl reference`) and `python -m etl consultation FILE` to
import a session list (CSV or XLSX, Chinese headers, all rows or none).

The seed: a year of the district's 民主恳谈, three sessions in each of the 14 streets (42), each in one of the
street's communities, on the six topics, spread over the five steps as a real year is — most reported back
(情况反馈), a few being decided, one or two debating today, some just announced — with the residents who signed up,
party members, NPC deputies, CPPCC members, lawyers and judges as participants, written opinions and speeches,
decisions, published feedback and the decisions' follow-up milestones, some done. /consultation, its public pages
and the leader view's block show real-looking content and their figures come out of the queries.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from simulation.names import mobile_phone, person_name
from workorders.consultation import (ANNOUNCE, BRIEFING, DEBATE, DECISION, FEEDBACK, PARTICIPANT_KINDS, RESIDENT,
                                     TOPICS, active_step)

SESSIONS_PER_STREET = 3
# How many of the 42 sessions are in each step today (the rest, 情况反馈).
IN_STEP = {ANNOUNCE: 4, BRIEFING: 4, DEBATE: 2, DECISION: 5}
TOPIC_WEIGHTS = (0.2, 0.17, 0.13, 0.15, 0.15, 0.2)       # 交通 … 城市建设: streets and buildings come up most
FEEDBACK_SHARE = 0.85          # of the sessions in 情况反馈, those whose feedback is published already
# Per topic: (title, what is put to the residents, the decision, the feedback, follow-up milestones).
AGENDA: dict[str, list[tuple[str, str, str, str, tuple[str, ...]]]] = {
    "交通": [("{community}周边停车难治理", "小区内外车位不足，夜间乱停占用消防通道，拟利用闲置地块建设临时停车场并施划夜间停车位",
             "利用小区东侧闲置地块建设临时停车场，增设夜间限时停车位120个，优先保障本小区居民", "临时停车场已建成投用，夜间乱停现象明显减少",
             ("闲置地块平整硬化", "施划停车位和标识", "停车管理制度公示")),
            ("{street}主干道增设人行横道", "主干道车流量大，老人和学生过街困难，拟在菜市场路口增设人行横道和行人信号灯",
             "在菜市场路口增设人行横道和行人信号灯，设置减速带和警示标志", "人行横道和信号灯已启用，交警部门加强高峰时段疏导",
             ("交通组织方案报批", "施划人行横道", "安装行人信号灯"))],
    "环境": [("{community}垃圾分类投放点设置", "现有垃圾桶分散、清运不及时，拟集中设置垃圾分类投放点并定时定点投放",
             "每个楼院设置一处分类投放点，早晚定时投放，配备督导员", "投放点已全部建成，居民分类投放准确率明显提高",
             ("投放点选址公示", "投放点建设", "督导员上岗培训")),
            ("沿街餐饮油烟扰民整治", "沿街餐饮店铺油烟、噪音影响楼上居民休息，拟统一加装油烟净化设施并限定营业时间",
             "沿街餐饮店铺统一加装油烟净化设施，晚22时后停止露天经营", "油烟净化设施已全部安装，夜间露天经营已取缔",
             ("商户摸底登记", "油烟净化设施安装", "联合执法检查"))],
    "教育": [("{community}四点半课堂开设", "双职工家庭放学后孩子无人看护，拟在社区活动中心开设四点半课堂",
             "在社区活动中心开设四点半课堂，招募志愿者和退休教师辅导", "四点半课堂已开课，每天服务学生40余名",
             ("活动场地改造", "志愿者招募", "课堂开课")),
            ("学校周边接送秩序整治", "上下学高峰学校周边拥堵，存在安全隐患，拟设置临时接送区和护学岗",
             "设置家长临时接送区，高峰时段设立护学岗，家长志愿者轮流值守", "接送区和护学岗已运行，高峰拥堵时间明显缩短",
             ("接送区施划", "护学岗排班"))],
    "卫生健康": [("{community}卫生服务站延时服务", "卫生服务站下午下班早，上班族就诊不便，拟延长服务时间并开设周末门诊",
                 "卫生服务站工作日延长至晚7时，周六上午开设门诊", "延时服务已实行，月均延时接诊300余人次",
                 ("人员排班调整", "服务时间公示")),
                ("老年人助餐点设置", "辖区独居和高龄老人吃饭难，拟在社区设置老年助餐点",
                 "在社区服务中心设置老年助餐点，80岁以上老人就餐给予补贴", "助餐点已开业，日均就餐老人60余人",
                 ("助餐点装修", "餐饮企业招标", "补贴办法公示"))],
    "社会保障": [("{community}居家养老服务中心建设", "辖区老年人口多，日间照料需求大，拟建设居家养老服务中心",
                 "利用社区闲置用房建设居家养老服务中心，提供日间照料和上门服务", "居家养老服务中心已运营，签约老人150余名",
                 ("闲置用房腾退", "适老化改造", "运营机构引入")),
                ("困难群众临时救助", "部分困难家庭因病因灾陷入困境，拟完善临时救助的申请和审核办法",
                 "简化临时救助申请材料，社区初审、街道审批时限压缩至5个工作日", "新办法已实施，累计救助困难家庭30余户",
                 ("办法修订", "政策宣传入户"))],
    "城市建设": [("{community}老旧小区加装电梯", "多层住宅老年住户上下楼困难，拟推进加装电梯，费用按楼层分摊",
                 "按单元自愿申请加装电梯，政府补贴每部20万元，费用按楼层系数分摊", "首批8部电梯已开工，3部已投入使用",
                 ("单元意见征集", "设计方案审批", "电梯安装", "验收投用")),
                ("背街小巷路面修缮", "背街小巷路面破损、雨天积水，拟统一修缮路面并改造排水设施",
                 "对辖区12条背街小巷进行路面修缮和排水改造，分两期实施", "一期7条背街小巷已完工，二期正在施工",
                 ("一期施工", "二期施工", "竣工验收"))],
}
VENUES = ("党群服务中心会议室", "活动中心", "居民议事厅", "文化广场")       # the community's own
OPINIONS = ("建议尽快实施，方便居民生活", "希望充分听取老年人的意见", "资金使用和后期维护要公开透明",
            "施工期间请注意安全，减少噪音扰民", "建议分期推进，先易后难", "希望定期公开进展情况",
            "方案总体赞成，细节还需要再优化", "建议多征求楼栋长和物业的意见")
SPEECHES = {"居民": "作为住户，支持这个方案，但要照顾好特殊困难家庭", "党员": "党员带头做好邻里解释工作，推动方案落地",
            "人大代表": "建议把群众意见纳入实施方案，并向代表报告落实情况", "政协委员": "可以借鉴其他城区的做法，建立长效管理机制",
            "律师": "方案涉及居民权益的部分要依法依规，签订书面协议", "法官": "对可能出现的纠纷，建议提前引入人民调解"}
TALLIES = {"党员": (4, 12), "人大代表": (1, 3), "政协委员": (0, 2), "律师": (0, 2), "法官": (0, 1), "居民": (12, 45)}


def _schedule(step: int, today: date, rng: np.random.Generator) -> tuple[date, ...]:
    """Five start dates with ``step`` the active one today."""
    def r(low: int, high: int) -> timedelta:
        return timedelta(days=int(rng.integers(low, high + 1)))
    if step == FEEDBACK:           # debated at least 25 days ago: reported back at most 20 days after
        debate = today - r(25, 330)
        return debate - r(12, 16), debate - r(5, 8), debate, debate + r(2, 5), debate + r(10, 20)
    if step == DECISION:
        debate = today - r(3, 9)
        return debate - r(12, 16), debate - r(5, 8), debate, debate + r(1, 2), today + r(3, 15)
    if step == DEBATE:
        debate = today - r(0, 1)
        return debate - r(12, 16), debate - r(5, 8), debate, today + r(2, 5), today + r(12, 20)
    if step == BRIEFING:
        briefing = today - r(0, 4)
        debate = today + r(2, 8)
        return briefing - r(5, 8), briefing, debate, debate + r(2, 5), debate + r(12, 20)
    announced = today - r(0, 3)
    debate = today + r(12, 20)
    return announced, today + r(2, 6), debate, debate + r(2, 5), debate + r(12, 20)


def generate(communities: list[dict], seed: int, now: datetime, tz) -> list[dict]:
    """The seed's sessions, each with its participants, opinions and milestones (rows the geo layer writes)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(5)[4])
    today = now.astimezone(tz).date()
    by_street: dict[str, list[dict]] = {}
    for community in communities:
        by_street.setdefault(community["street_code"], []).append(community)
    places = [c for street in sorted(by_street)
              for c in (by_street[street][int(i)] for i in rng.choice(len(by_street[street]),
                                                                    min(SESSIONS_PER_STREET, len(by_street[street])),
                                                                    replace=False))]
    steps = [s for s, n in IN_STEP.items() for _ in range(n)]
    steps += [FEEDBACK] * (len(places) - len(steps))
    rng.shuffle(steps)
    sessions = []
    for index, (community, step) in enumerate(zip(places, steps)):
        topic = TOPICS[int(rng.choice(len(TOPICS), p=TOPIC_WEIGHTS))]
        title, summary, decision, feedback, milestones = AGENDA[topic][int(rng.integers(len(AGENDA[topic])))]
        starts = _schedule(step, today, rng)
        assert active_step(starts, today) == step

        def at(day: date, hour: int = 17) -> datetime:       # a moment of a seeded day, never in the future
            return min(datetime.combine(day, time(hour), tz), now)
        decided = step == FEEDBACK or (step == DECISION and rng.random() < 0.6)
        published = step == FEEDBACK and rng.random() < FEEDBACK_SHARE
        session = {
            "title": title.format(community=community["name"], street=community["street"]) if "{" in title
            else community["name"] + title, "topic": topic,
            "summary": summary, "grid_code": community["grids"][int(rng.integers(len(community["grids"])))],
            "community_code": community["code"], "street_code": community["street_code"],
            "organiser": f"{community['name']}居民委员会", "venue": f"{community['name']}{VENUES[index % len(VENUES)]}",
            **dict(zip(("announced_on", "briefing_on", "debate_on", "decision_on", "feedback_on"), starts)),
            "decision": decision if decided else None, "decided_at": at(starts[DECISION]) if decided else None,
            "feedback": feedback if published else None, "feedback_at": at(starts[FEEDBACK]) if published else None,
            "source": "seed", "created_by": "seed", "created_at": at(starts[ANNOUNCE], 9)}
        session["participants"] = _participants(rng, step, starts, at)
        session["opinions"] = _opinions(rng, step, starts, at)
        session["milestones"] = _milestones(rng, milestones, starts, today, at) if decided else []
        sessions.append(session)
    return sorted(sessions, key=lambda s: (s["announced_on"], s["grid_code"]))     # numbered in time order


def _participants(rng, step: int, starts, at) -> list[dict]:
    """Named residents who signed up, and once the debate is held, the tallies of everyone who took part."""
    signed = int(rng.integers(1, 5)) if step == ANNOUNCE else int(rng.integers(4, 12))
    rows = [{"kind": RESIDENT, "name": person_name(rng), "phone": mobile_phone(rng), "headcount": 1,
             "created_at": at(starts[ANNOUNCE] + timedelta(days=int(rng.integers(0, 4))), 10)} for _ in range(signed)]
    if step >= DEBATE:
        for kind in PARTICIPANT_KINDS:
            low, high = TALLIES[kind]
            n = int(rng.integers(low, high + 1))
            if n:
                rows.append({"kind": kind, "name": None, "phone": None, "headcount": n,
                             "created_at": at(starts[DEBATE])})
    return rows


def _opinions(rng, step: int, starts, at) -> list[dict]:
    rows = []
    if step >= BRIEFING:
        for i in rng.choice(len(OPINIONS), int(rng.integers(2, 7)), replace=False):
            rows.append({"kind": "written", "participant_kind": RESIDENT, "name": person_name(rng),
                         "phone": mobile_phone(rng), "content": OPINIONS[int(i)],
                         "created_at": at(starts[BRIEFING], 15)})
    if step >= DEBATE:
        for kind in rng.choice(PARTICIPANT_KINDS, int(rng.integers(3, 7)), replace=True):
            rows.append({"kind": "speech", "participant_kind": str(kind), "name": None, "phone": None,
                         "content": SPEECHES[str(kind)], "created_at": at(starts[DEBATE], 10)})
    return rows


def _milestones(rng, titles: tuple[str, ...], starts, today: date, at) -> list[dict]:
    """The decision's milestones, one after another from the decision on; those whose due date has passed are
    mostly done (a few late ones keep the follow-up honest)."""
    rows = []
    due = starts[DECISION]
    for title in titles:
        due = due + timedelta(days=int(rng.integers(10, 40)))
        done = due <= today and rng.random() < 0.85
        rows.append({"title": title, "due_on": due,
                     "done_at": at(min(due - timedelta(days=int(rng.integers(0, 5))), today)) if done else None})
    return rows


def seed_if_empty(engine=None, seed: int | None = None, now: datetime | None = None) -> int:
    """A year of sessions, once (returns the sessions written, 0 when there are some already)."""
    from geo import consultation as db
    from geo.db import get_engine
    from settings import get_settings
    from workorders.clock import local_zone
    engine = engine or get_engine()
    with engine.begin() as conn:
        if db.has_sessions(conn):
            return 0
        sessions = generate(db.communities(conn), get_settings().reference_seed if seed is None else seed,
                            now or datetime.now(timezone.utc), local_zone())
        for session in sessions:
            session_id, _number = db.insert_session(conn, session)
            db.insert_participants(conn, [{**p, "session_id": session_id, "source": "seed"}
                                          for p in session["participants"]])
            db.insert_opinions(conn, [{**o, "session_id": session_id, "source": "seed"} for o in session["opinions"]])
            for m in session["milestones"]:
                db.insert_milestone(conn, session_id, m["title"], m["due_on"], m["done_at"])
    return len(sessions)


def register(subparsers) -> None:
    cmd = subparsers.add_parser("consultation",
                                help="import 民主恳谈 sessions (CSV/XLSX, Chinese headers; all rows or none)")
    cmd.add_argument("file")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from etl.importing import importer, run_import
    from services.consultation import import_file
    return run_import(args.file, lambda file: import_file(importer("leader"), file), "session")
