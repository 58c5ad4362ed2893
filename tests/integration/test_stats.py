"""Statistics and department scores on a small hand-made set of tickets in a scratch database, written through
the services with known times, so every expected number can be counted by hand; the CLI and the download route."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from geo.db import make_engine
from services import stats
from services.tickets import NewTicket, create_ticket, evaluate, transition
from tests.conftest import ROOT, scratch_database
from workorders.policy import system_principal as sp

TZ = ZoneInfo("Asia/Shanghai")
MARCH = stats.Window(date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(scope="module")
def stats_db(database_url):
    """A scratch database with reference data and the hand-made tickets (module scope: built once)."""
    with scratch_database(database_url, "stats") as url:
        engine = make_engine(url)
        from etl.reference import load_reference_and_catalogue
        load_reference_and_catalogue(engine=engine, quiet=True)
        numbers = build_march(engine)
        yield url, engine, numbers
        engine.dispose()


def two_grids_in_different_streets(engine) -> tuple[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT DISTINCT ON (c.street_code) g.code FROM grids g JOIN communities c ON c.code = g.community_code
            ORDER BY c.street_code, g.code LIMIT 2""")).scalars().all()
    return rows[0], rows[1]


def build_march(engine) -> dict[str, str]:
    """T1…T7 in March 2026 and T8 in April; see the expected numbers in the tests."""
    grid_a, grid_b = two_grids_in_different_streets(engine)

    def new(channel, category, registered, grid, **kw) -> str:
        request = NewTicket(channel=channel, category=category, description=f"{category} 测试", grid_code=grid,
                            citizen_name="张三", citizen_phone="13900001111", registered_at=registered, **kw)
        return create_ticket(request, sp("测试"), engine=engine).ticket["number"]

    def steps(number, *moves):
        with engine.begin() as conn:
            token = None
            for move in moves:
                action, when, actor, *extra = move
                if action == "evaluate":
                    satisfaction, reopen = extra
                    evaluate(token, satisfaction, reopen=reopen, now=when, conn=conn)
                    continue
                kw = extra[0] if extra else {}
                done = transition(number, action, sp(actor), now=when, conn=conn, **kw).ticket
                token = done["evaluation_token"] or token

    n = {}
    # T1 water leak: on site in time (due 30 min), resolved in time, 满意.
    n["T1"] = new("hotline", "water_leak", at(2, 9), grid_a)
    # T7 a second report of T1, merged into it while T1 is open.
    n["T7"] = new("hotline", "water_leak", at(2, 9, 20), grid_a)
    steps(n["T7"], ("merge", at(2, 9, 30), "坐席01", {"reason": "重复", "data": {"into": n["T1"]}}))
    steps(n["T1"], ("dispatch", at(2, 9, 5), "坐席01"), ("accept", at(2, 9, 10), "water"),
          ("arrive", at(2, 9, 25), "water"), ("resolve", at(2, 14), "water"),
          ("evaluate", at(2, 18), None, "satisfied", True))
    # T2 water leak: on site late, escalated, resolved a day late, 不满意 without reopening.
    n["T2"] = new("web", "water_leak", at(3, 10), grid_b)
    steps(n["T2"], ("dispatch", at(3, 10, 5), "坐席02"), ("accept", at(3, 10, 10), "water"),
          ("arrive", at(3, 10, 50), "water"),
          ("escalate", at(6, 10, 5), "system", {"reason": "超过办理时限，升级至街道督办"}),
          ("resolve", at(7, 10), "water"), ("evaluate", at(7, 12), None, "unsatisfied", False))
    # T3 noise (same day): 不满意 → reopened → resolved again the same evening → 满意.
    n["T3"] = new("hotline", "noise", at(4, 19), grid_a)
    steps(n["T3"], ("dispatch", at(4, 19, 5), "坐席01"), ("accept", at(4, 19, 10), "hbj"),
          ("resolve", at(4, 20), "hbj"), ("evaluate", at(4, 20, 30), None, "unsatisfied", True),
          ("dispatch", at(4, 20, 40), "坐席01"), ("accept", at(4, 20, 45), "hbj"),
          ("resolve", at(4, 21, 30), "hbj"), ("evaluate", at(4, 22), None, "satisfied", True))
    # T4 sanitation from a grid worker: refused.
    n["T4"] = new("grid_worker", "sanitation", at(5, 9), grid_b)
    steps(n["T4"], ("refuse", at(5, 9, 10), "坐席03", {"reason": "不属于受理范围"}))
    # T5 road damage: cgj sends it back, jtj resolves it in time, nobody rates it, the operator closes it.
    n["T5"] = new("hotline", "road_damage", at(6, 9), grid_a)
    steps(n["T5"], ("dispatch", at(6, 9, 5), "坐席01"),
          ("return", at(6, 9, 30), "cgj", {"reason": "非本单位职责"}),
          ("dispatch", at(6, 9, 40), "坐席01", {"department": "jtj"}), ("accept", at(6, 9, 50), "jtj"),
          ("resolve", at(8, 10), "jtj"), ("close", at(11, 10), "坐席01"))
    # T6 greening: registered and never handled; its deadline has long passed.
    n["T6"] = new("web", "greening", at(10, 9), grid_b)
    # T8 outside the window.
    n["T8"] = new("hotline", "water_leak", at(2, 10, month=4), grid_a)
    return n


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["key"] if "key" in r else r["code"]: r for r in rows}


def test_overview_counts_by_hand(stats_db):
    _, engine, _ = stats_db
    total = stats.overview(MARCH, engine=engine)
    assert total["received"] == 7                                   # T8 is in April
    assert total["closed"] == 6                                     # T1 T2 T3 T5 closed, T4 refused, T7 merged
    assert total["closure_rate"] == pytest.approx(6 / 7)
    assert (total["due"], total["on_time"]) == (5, 3)               # T1 T3 T5 on time; T2 late; T6 overdue
    assert total["on_time_rate"] == pytest.approx(0.6)
    assert (total["arrival_due"], total["arrived_on_time"]) == (2, 1)
    assert (total["evaluated"], total["satisfied"]) == (3, 2)       # the rating that stands counts (T3: 满意)
    assert total["satisfaction_rate"] == pytest.approx(2 / 3)
    assert (total["reopened"], total["escalated"]) == (1, 1)


def test_breakdowns_by_day_channel_category_street(stats_db):
    _, engine, _ = stats_db
    days = by_key(stats.statistics("day", MARCH, engine=engine))
    assert days["2026-03-02"]["received"] == 2 and days["2026-03-10"]["received"] == 1
    assert sum(d["received"] for d in days.values()) == 7
    channels = by_key(stats.statistics("channel", MARCH, engine=engine))
    assert {k: v["received"] for k, v in channels.items()} == {"hotline": 4, "web": 2, "grid_worker": 1}
    assert channels["hotline"]["label"] == "96715热线"
    categories = by_key(stats.statistics("category", MARCH, engine=engine))
    assert categories["water_leak"]["received"] == 3 and categories["water_leak"]["label"] == "漏水"
    assert categories["water_leak"]["arrival_on_time_rate"] == pytest.approx(0.5)
    assert categories["greening"]["on_time_rate"] == 0.0
    assert categories["sanitation"]["on_time_rate"] is None         # refused: nothing was due
    streets = stats.statistics("street", MARCH, engine=engine)
    assert sorted(r["received"] for r in streets) == [3, 4]         # grid A: T1 T3 T5 T7; grid B: T2 T4 T6
    for dimension in ("community", "grid", "department"):
        assert sum(r["received"] for r in stats.statistics(dimension, MARCH, engine=engine)) == 7


def test_one_day_window_and_unknown_dimension(stats_db):
    _, engine, _ = stats_db
    day = stats.overview(stats.Window(date(2026, 3, 4), date(2026, 3, 4)), engine=engine)
    assert day["received"] == 1 and day["reopen_rate"] == 1.0
    with pytest.raises(stats.StatsError) as refused:
        stats.statistics("weather", MARCH, engine=engine)
    assert refused.value.field == "dimension"


def test_department_scores(stats_db):
    _, engine, _ = stats_db
    rows = stats.department_scores(window=MARCH, engine=engine)
    scores = by_key(rows)
    assert set(scores) == {"water", "hbj", "hw", "cgj", "jtj", "yl"}
    water = scores["water"]
    assert (water["received"], water["on_time_rate"], water["satisfaction_rate"]) == (3, 0.5, 0.5)
    assert water["returns"] == 0 and water["score"] == pytest.approx(60.0)
    assert scores["hbj"]["reopen_rate"] == 1.0 and scores["hbj"]["score"] == pytest.approx(90.0)
    cgj = scores["cgj"]                                   # only sent T5 back: counted from ticket_events
    assert (cgj["received"], cgj["returns"], cgj["returned_rate"]) == (0, 1, 1.0)
    assert cgj["score"] == 0.0
    jtj = scores["jtj"]
    assert (jtj["received"], jtj["returns"], jtj["returned_rate"], jtj["score"]) == (1, 0, 0.0, 100.0)
    assert scores["yl"]["on_time_rate"] == 0.0
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_scores_cli_writes_xlsx_and_csv(stats_db, tmp_path):
    url, _, _ = stats_db
    env = {**os.environ, "DATABASE_URL": url}
    out = tmp_path / "scores.xlsx"
    done = subprocess.run([sys.executable, "-m", "etl", "scores", "--start", "2026-03-01", "--end", "2026-03-31",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["water"]["受理量"] == 3 and rows["water"]["按时办结率"] == pytest.approx(0.5)
    assert rows["cgj"]["退回次数"] == 1

    csv_out = tmp_path / "scores.csv"
    done = subprocess.run([sys.executable, "-m", "etl", "scores", "--year", "2026", "--format", "csv",
                           "--out", str(csv_out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    body = csv_out.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["单位编码"]: r["受理量"] for r in table}["water"] == "4"      # the year holds T8 too


def test_scores_cli_refuses_bad_input_with_one_line(stats_db, tmp_path):
    url, _, _ = stats_db
    env = {**os.environ, "DATABASE_URL": url}
    for args, field in ((["--year", "2026", "--out", str(tmp_path / "x.pdf")], "format"),
                        (["--start", "2026-02-30", "--out", str(tmp_path / "x.csv")], "start")):
        done = subprocess.run([sys.executable, "-m", "etl", "scores", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.strip().startswith(f"error: {field}:") and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())                  # nothing half-written


# ------------------------------------------------------------------------------------------------ download route

@pytest.fixture(scope="module")
def client(engine):
    """A leader's session: the exports are the leaders' and supervisors'."""
    from app import server
    from harness.signing_in import signed_in_client
    return signed_in_client(server, "leader")


def test_download_department_scores_csv(client):
    answer = client.get("/exports/department-scores.csv?start=2026-01-01&end=2026-12-31")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert 'filename="department-scores-2026-01-01_2026-12-31.csv"' in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf")
    made_by, header = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))[:2]   # who made it, then columns
    assert made_by[0].startswith("部门考核 2026-01-01至2026-12-31 · 导出人 ")
    assert header == [c.header for c in stats.SCORE_COLUMNS]


def test_download_department_scores_xlsx(client):
    answer = client.get("/exports/department-scores.xlsx?start=2026-01-01&end=2026-06-30")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    assert "导出人" in sheet["A1"].value and sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]] == [c.header for c in stats.SCORE_COLUMNS]


def test_download_statistics_by_category(client):
    answer = client.get("/exports/statistics.csv?dimension=category&start=2026-01-01&end=2026-12-31")
    assert answer.status_code == 200
    header = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))[1]
    assert header[:3] == ["编码", "事项类别", "受理量"]


@pytest.mark.parametrize("url, status, field", [
    ("/exports/department-scores.csv?start=2026-13-01", 400, "start"),
    ("/exports/department-scores.csv?start=2026-05-01&end=2026-04-01", 400, "start"),
    ("/exports/department-scores.pdf", 404, "format"),
    ("/exports/statistics.xlsx?dimension=weather", 400, "dimension"),
])
def test_download_refuses_bad_input(client, url, status, field):
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.get_json()["error"]["field"] == field
