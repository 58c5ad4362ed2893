"""Breach risk end to end on PostGIS: train from a history, store the model, score open tickets, pick up a new one.

The history is made here, in 2001 (far from every other test's tickets, and ``now`` is set there so nothing else
is read): the heating unit misses its deadline on most evening calls, the water unit almost never.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from services import predictions
from services.tickets import create_ticket
from tests.fresh import new_phone, unique
from tests.hotspot_model import stored_hotspot_model
from workorders.contract import NewTicket
from workers.escalation import rescore
from workorders.policy import CITIZEN, Forbidden, Principal, system_principal

START = datetime(2001, 1, 1, tzinfo=timezone.utc)
NOW = datetime(2001, 6, 30, 13, 30, tzinfo=timezone.utc)     # 21:30 in Anshan
DISPATCHER = Principal(id=None, name="risk-dispatcher", roles=frozenset({"dispatcher"}))


def clone(conn, template: str, number: str, registered: datetime, late: bool, state: str = "closed") -> None:
    resolved = None if state != "closed" else registered + timedelta(hours=80 if late else 4)
    conn.execute(text("""
        INSERT INTO tickets (number, channel, category_code, variant, description, geom, grid_code, community_code,
                             street_code, priority, complexity, lead_department_code, state, registered_at,
                             updated_at, dispatched_at, resolved_at, closed_at, resolve_due_at, attributes)
        SELECT :number, t.channel, t.category_code, t.variant, t.description, t.geom, t.grid_code, t.community_code,
               t.street_code, t.priority, t.complexity, t.lead_department_code, :state, :at, :at,
               :at + interval '10 minutes', :resolved, :resolved, :at + interval '72 hours', t.attributes
        FROM tickets t WHERE t.number = :template"""),
        {"number": number, "template": template, "at": registered, "resolved": resolved, "state": state})


def make_template(category: str, spot: dict, engine) -> str:
    request = NewTicket(channel="hotline", category=category, description="模型训练用的模板工单", lon=spot["lon"],
                        lat=spot["lat"], citizen_name="测试", citizen_phone=new_phone())
    return create_ticket(request, system_principal("risk-tests"), engine=engine).ticket["number"]


@pytest.fixture
def history(engine, spot):
    heating, water = make_template("heating_cold", spot, engine), make_template("water_leak", spot, engine)
    prefix = unique("R")
    with engine.begin() as conn:
        for i in range(1400):
            registered = START + timedelta(hours=i * 3 + (i % 7))
            evening = 10 <= registered.hour < 15            # 18:00–23:00 in Anshan
            template = heating if i % 2 else water
            clone(conn, template, f"{prefix}{i:05d}", registered, late=bool(i % 2) and evening)
        clone(conn, heating, f"{prefix}OPEN-H", NOW - timedelta(hours=1, minutes=30), False, state="dispatched")
        clone(conn, water, f"{prefix}OPEN-W", NOW - timedelta(hours=1, minutes=30), False, state="dispatched")
    yield prefix
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM prediction_models WHERE trained_at < '2002-01-01'"))
        conn.execute(text("DELETE FROM tickets WHERE number LIKE :p OR number = ANY(:t)"),
                     {"p": prefix + "%", "t": [heating, water]})


def test_a_trained_model_is_stored_judged_and_scores_the_open_tickets(engine, history):
    trained = {t.kind: t for t in predictions.train_models(now=NOW, engine=engine)}
    resolve = trained["resolve"]
    assert resolve.use == "model"
    assert resolve.metrics["model"]["auc"] > resolve.metrics["baseline"]["auc"]
    assert resolve.metrics["calibration"] and resolve.metrics["test_from"] >= "2001-05"
    assert {"brier", "auc"} <= set(resolve.metrics["baseline"])

    assert predictions.score_open_tickets(now=NOW, engine=engine) >= 2
    risks = predictions.risks([f"{history}OPEN-H", f"{history}OPEN-W"], engine=engine)
    evening_heating, water = risks[f"{history}OPEN-H"], risks[f"{history}OPEN-W"]
    assert evening_heating["resolve_version"] == resolve.version
    assert evening_heating["resolve_p"] > water["resolve_p"] + 0.2
    assert evening_heating["arrival_p"] is None          # no arrival deadline on these copies


def test_a_newer_model_is_picked_up_without_a_restart(engine, history):
    first = {t.kind: t.version for t in predictions.train_models(now=NOW, engine=engine)}
    assert predictions.current_models(engine)["resolve"].version == first["resolve"]
    second = {t.kind: t.version for t in predictions.train_models(now=NOW + timedelta(seconds=1), engine=engine)}
    assert second["resolve"] != first["resolve"]
    assert predictions.current_models(engine)["resolve"].version == second["resolve"]


def test_the_sweep_rescores_and_a_closed_ticket_loses_its_risk(engine, history):
    predictions.train_models(now=NOW, engine=engine)
    assert rescore(engine) >= 2
    with engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET state = 'closed' WHERE number = :n"), {"n": f"{history}OPEN-W"})
    rescore(engine)
    assert f"{history}OPEN-W" not in predictions.risks([f"{history}OPEN-W"], engine=engine)


def stored_risk(engine, number: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("""SELECT count(*) FROM ticket_risk r JOIN tickets t ON t.id = r.ticket_id
                                    WHERE t.number = :n"""), {"n": number}).scalar()


def set_held(engine, number: str, held: bool) -> None:
    """挂起 as services/handling.py records it (the flag; these 2001 copies are no unit's to hold)."""
    with engine.begin() as conn:
        conn.execute(text("""UPDATE tickets SET flags = CASE WHEN :held THEN array_append(array_remove(flags, 'held'),
                             'held') ELSE array_remove(flags, 'held') END WHERE number = :n"""),
                     {"n": number, "held": held})


def test_the_sweep_skips_a_held_ticket_and_drops_its_risk_until_it_resumes(engine, history):
    held, other = f"{history}OPEN-H", f"{history}OPEN-W"
    predictions.train_models(now=NOW, engine=engine)
    predictions.score_open_tickets(now=NOW, engine=engine)
    assert stored_risk(engine, held) == 1 and stored_risk(engine, other) == 1
    set_held(engine, held, True)
    predictions.score_open_tickets(now=NOW, engine=engine)
    assert stored_risk(engine, held) == 0 and stored_risk(engine, other) == 1     # its clock stands still
    assert held not in predictions.risks([held, other], engine=engine)
    assert held not in {r["number"] for r in predictions.riskiest(DISPATCHER, 500, engine=engine, still_ahead=NOW)}
    set_held(engine, held, False)
    predictions.score_open_tickets(now=NOW, engine=engine)
    assert stored_risk(engine, held) == 1


def test_the_riskiest_list_is_for_the_command_center_only(engine, history):
    predictions.train_models(now=NOW, engine=engine)
    predictions.score_open_tickets(now=NOW, engine=engine)
    rows = predictions.riskiest(DISPATCHER, limit=500, engine=engine)
    assert rows == sorted(rows, key=lambda r: -r["p"])
    assert not {"citizen_name", "citizen_phone"} & set(rows[0])
    with pytest.raises(Forbidden):
        predictions.riskiest(CITIZEN, engine=engine)


# ------------------------------------------------------------------------------------------------ hotspots

@pytest.fixture
def hotspot_model(engine):
    with stored_hotspot_model(engine) as cell:
        yield cell


LEADER = Principal(id=None, name="risk-leader", roles=frozenset({"leader"}))


def test_tomorrows_hotspots_cover_every_cell_and_name_the_top_ones(engine, hotspot_model):
    forecast = predictions.tomorrow_hotspots(LEADER, engine=engine)
    with engine.connect() as conn:
        cells = conn.execute(text("SELECT count(*) FROM grids")).scalar()
    assert len(forecast["counts"]) == cells
    assert forecast["total"] == pytest.approx(sum(forecast["counts"].values()), abs=0.5)
    assert sum(forecast["by_group"].values()) == pytest.approx(forecast["total"], abs=0.5)
    top = forecast["top"]
    assert len(top) == 20 and [r["expected"] for r in top] == sorted((r["expected"] for r in top), reverse=True)
    assert {"code", "name", "street", "community"} <= set(top[0])
    assert forecast["metrics"]["top20_hits"]["model"] >= 1          # the made-up hotspot was found in training
    assert forecast["day"] > datetime.now(timezone.utc).date().isoformat()        # tomorrow, local


def test_the_forecast_is_for_the_leader_view_only(engine, hotspot_model):
    with pytest.raises(Forbidden):
        predictions.tomorrow_hotspots(DISPATCHER, engine=engine)


def test_the_at_risk_list_leaves_out_what_is_late_already(engine, history):
    predictions.train_models(now=NOW, engine=engine)
    predictions.score_open_tickets(now=NOW, engine=engine)
    ahead = {r["number"] for r in predictions.riskiest(DISPATCHER, 500, engine=engine, still_ahead=NOW)}
    assert {f"{history}OPEN-H", f"{history}OPEN-W"} <= ahead
    later = NOW + timedelta(days=4)                      # both copies' 72-hour deadlines have passed by then
    late = {r["number"] for r in predictions.riskiest(DISPATCHER, 500, engine=engine, still_ahead=later)}
    assert not {f"{history}OPEN-H", f"{history}OPEN-W"} & late
