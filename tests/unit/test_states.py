"""Every allowed and every forbidden transition of the work order."""
from __future__ import annotations

import itertools

import pytest

from workorders.states import ACTIONS, STATES, TransitionRefused, allowed_actions, next_state

ALLOWED = [(state, name) for name, rule in ACTIONS.items() for state in sorted(rule.sources)]
FORBIDDEN = [(state, name) for state, name in itertools.product(STATES, ACTIONS)
             if state not in ACTIONS[name].sources]


@pytest.mark.parametrize("state,action", ALLOWED)
def test_allowed_transition_reaches_its_target(state, action):
    assert next_state(state, action, reason="原因") == ACTIONS[action].target


@pytest.mark.parametrize("state,action", FORBIDDEN)
def test_forbidden_transition_is_refused_with_a_clear_message(state, action):
    with pytest.raises(TransitionRefused, match=f"cannot {action} a ticket that is {state}"):
        next_state(state, action, reason="原因")


def test_the_table_covers_the_whole_life():
    path = ["dispatch", "accept", "arrive", "resolve", "evaluate", "close"]
    state = "registered"
    for action in path:
        state = next_state(state, action)
    assert state == "closed"
    assert allowed_actions("closed") == [] and allowed_actions("merged") == [] and allowed_actions("refused") == []


@pytest.mark.parametrize("action", [a for a, r in ACTIONS.items() if r.needs_reason])
def test_actions_that_need_a_reason_refuse_without_one(action):
    state = sorted(ACTIONS[action].sources)[0]
    with pytest.raises(TransitionRefused, match="needs a reason"):
        next_state(state, action, reason="  ")


def test_unknown_action_is_named():
    with pytest.raises(TransitionRefused, match="unknown action 'teleport'"):
        next_state("registered", "teleport")


def test_every_state_is_reachable_and_labelled():
    targets = {rule.target for rule in ACTIONS.values()} | {"registered"}
    assert targets == set(STATES)
    assert all(STATES[s] for s in STATES)
