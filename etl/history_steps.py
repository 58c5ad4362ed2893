"""The loop both writers of `python -m etl history` share: the plan's steps in time order, each step's placeholders
resolved against what happened so far, and a refused step skipping the rest of its ticket. The writer decides how a
step is carried out: through the services (etl/history.py's ServiceWriter) or by the same rules in memory, written
set-based (etl/history_bulk.py's BulkWriter)."""
from __future__ import annotations

from dataclasses import dataclass, field

from simulation.plan import CURRENT_LEAD, NEXT_DEPARTMENT, PlannedTicket, Step, next_department
from workorders.policy import system_principal
from workorders.vocabulary import CHANNELS


@dataclass
class Outcome:
    tickets: int = 0
    steps: int = 0                                       # transitions and ratings after intake
    refused: list[str] = field(default_factory=list)     # steps the services refused (a plan defect): one line each

    def add(self, other: "Outcome") -> None:
        self.tickets += other.tickets
        self.steps += other.steps
        self.refused.extend(other.refused)


def execute_batch(writer, tickets: list[PlannedTicket]) -> Outcome:
    """Run the steps of ``tickets`` in time order through ``writer``: ServiceWriter (the services, on one
    connection) or etl.history_bulk.BulkWriter (the same rules in memory, written set-based). The loop, the
    placeholders and what a refusal skips are the same for both."""
    from services.tickets import IntakeError, NotFound
    from workorders.states import TransitionRefused
    by_index = {p.index: p for p in tickets}
    state: dict[int, dict] = {p.index: {} for p in tickets}
    outcome = Outcome()
    for step in sorted((s for p in tickets for s in p.steps), key=lambda s: (s.at, s.ticket, s.seq)):
        ticket, st = by_index[step.ticket], state[step.ticket]
        if st.get("refused"):
            continue
        try:
            if step.action == "create":
                created = writer.create(ticket, step.at)
                st.update(number=created["number"], lead=created["lead_department_code"])
                outcome.tickets += 1
                continue
            if step.action == "evaluate":
                after = writer.evaluate(st["token"], step.satisfaction, step.reopen, step.at)
                st["lead"] = after["lead_department_code"]
            else:
                actor, department, data = step_arguments(step, ticket, st, state)
                done = writer.transition(st["number"], step.action, actor, step.reason, department, data, step.at)
                st.update(step_outcome(step.action, actor, done))
            outcome.steps += 1
        except (IntakeError, TransitionRefused, NotFound, KeyError) as error:
            st["refused"] = True
            outcome.refused.append(f"history ticket #{step.ticket} ({ticket.category}, {step.at:%Y-%m-%d %H:%M}) "
                                   f"{step.action}: {error}")
    return outcome


def registrar(request):
    """The history is the product's own past: each ticket registered as the person (or system) the plan names."""
    from services.tickets import ANONYMOUS_CHANNELS
    if request.registered_by:
        return system_principal(request.registered_by)
    return None if request.channel in ANONYMOUS_CHANNELS else system_principal(CHANNELS[request.channel])


def step_arguments(step: Step, ticket: PlannedTicket, st: dict, state: dict) -> tuple[str, str | None, dict | None]:
    """The actor, department and data a planned transition runs with, once the placeholders are resolved against
    what happened so far (``st``: this ticket's number, lead and who returned it; ``state``: every ticket's).
    Both writers (through the services, and etl/history_bulk.py) resolve a step here."""
    actor = st["lead"] if step.actor == CURRENT_LEAD else step.actor
    department = (next_department(st["lead"], st.get("returned_by"), ticket.index)
                  if step.department == NEXT_DEPARTMENT else step.department)
    data = step.data
    if step.action == "merge":
        data = {"into": state[ticket.master]["number"]}
    elif step.action == "joint_meeting":
        data = {**(step.data or {}), "meeting_date": step.at.date().isoformat()}
    return actor, department, data


def step_outcome(action: str, actor: str, done: dict) -> dict:
    """What a writer remembers of a transition that ran (``done``: the ticket after it) for the steps after it."""
    changes = {"lead": done["lead_department_code"]}
    if action == "return":
        changes["returned_by"] = actor
    if action == "resolve":
        changes["token"] = done["evaluation_token"]
    return changes
