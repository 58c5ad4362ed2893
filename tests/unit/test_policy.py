"""The table of rights, checked cell by cell against the issue's statement of who does what."""
from __future__ import annotations

import pytest

from workorders import policy
from workorders.policy import Forbidden, Principal, SignInRequired, Target, can, require

# What issue 10 says each role does, written out independently of workorders/policy.py.
EXPECTED = {
    "operator": {"intake", "caller_history", "ticket_read", "callback"},
    "dispatcher": {"command_map", "dispatch", "transfer", "ticket_read", "live_feed", "wall"},
    "department": {"ticket_read", "ticket_handle"},
    "street": {"ticket_read", "ticket_handle", "mediation"},
    "community": {"ticket_read", "ticket_handle", "mediation"},
    "supervisor": {"supervision", "ticket_read", "command_map", "live_feed", "analytics", "export", "audit",
                   "mediation"},
    "leader": {"analytics", "export", "command_map", "live_feed", "wall"},
    "wall": {"wall", "live_feed"},
    "grid_worker": {"grid_tasks", "ticket_read", "ticket_handle", "crew_position"},
    "admin": {"users", "rules", "api_keys", "audit"},
}
# Issue 11: the ticket list (/tickets) for the center's roles; leaders read it without personal data.
for _role in ("operator", "dispatcher", "supervisor", "leader"):
    EXPECTED[_role] = EXPECTED[_role] | {"ticket_list"}
# Issue 13: stability risk assessment (/risk) for street staff and supervisors; leaders read its figures.
for _role in ("street", "supervisor"):
    EXPECTED[_role] = EXPECTED[_role] | {"risk_assessment"}
# Issue 11, handling: units ask for extensions and hold their tickets, a department answers its co-handling part;
# the district (supervisor, admin) decides on extensions.
for _role in ("department", "street", "community"):
    EXPECTED[_role] = EXPECTED[_role] | {"extension_request", "ticket_hold"}
EXPECTED["department"] = EXPECTED["department"] | {"assist_answer"}
for _role in ("supervisor", "admin"):
    EXPECTED[_role] = EXPECTED[_role] | {"extension_decide"}
# Issue 11: /work — the handling units send their own crews (转派), a right of its own.
for _role in ("department", "street", "community"):
    EXPECTED[_role] = EXPECTED[_role] | {"crew_assign"}
# Issue 13: democratic consultation (/consultation) for street and community staff, leaders and the administrator.
for _role in ("street", "community", "leader", "admin"):
    EXPECTED[_role] = EXPECTED[_role] | {"consultation"}
# Issue 13: social forces (/resources) for street and community staff and supervisors; leaders read its figures.
for _role in ("street", "community", "supervisor"):
    EXPECTED[_role] = EXPECTED[_role] | {"resources"}
# Issue 13: petitions (/petitions) registered by supervisors; leaders read them without the petitioner.
EXPECTED["supervisor"] = EXPECTED["supervisor"] | {"petitions"}
SCOPES = {"department": {"department_code": "water"}, "street": {"street_code": "S1"},
          "community": {"community_code": "C1"}, "grid_worker": {"crew_code": "WGY-1", "grid_code": "G1"}}
OWN = Target(frozenset({"water"}), "S1", "C1", "G1", "WGY-1")
OTHERS = Target(frozenset({"gas"}), "S2", "C2", "G2", "WGY-2")
PAGE_ROLES = {
    "/": {"dispatcher", "supervisor", "leader"}, "/wall": {"wall", "dispatcher", "leader"},
    "/hotline": {"operator"}, "/analytics": {"leader", "supervisor"},
    "/tickets/<number>": {"operator", "dispatcher", "supervisor"}, "/audit": {"admin", "supervisor"},
    "/mediation": {"street", "community", "supervisor", "leader"},
    "/supervision": {"supervisor"},
}
PAGE_ROLES["/tickets"] = {"operator", "dispatcher", "supervisor", "leader"}      # issue 11
PAGE_ROLES["/work"] = {"department", "street", "community"}                      # issue 11, 承办工作台
PAGE_ROLES["/risk"] = {"street", "supervisor", "leader"}                        # issue 13
PAGE_ROLES["/admin"] = {"admin"}                                                # issue 11: 系统管理
PAGE_ROLES["/consultation"] = {"street", "community", "leader", "admin"}         # issue 13
PAGE_ROLES["/resources"] = {"street", "community", "supervisor", "leader"}      # issue 13
PAGE_ROLES["/petitions"] = {"supervisor", "leader"}                             # issue 13
PUBLIC_PAGES = ("/login", "/report", "/track", "/track/<number>", "/evaluate/<token>", "/consultation/<number>")


def person(*roles: str, **scopes) -> Principal:
    merged = {k: v for r in roles for k, v in SCOPES.get(r, {}).items()} | scopes
    return Principal(id=1, name="someone", roles=frozenset(roles), **merged)


def test_the_table_names_every_role_and_right():
    assert set(EXPECTED) == set(policy.ROLES) == set(policy.ROLE_RIGHTS)
    assert set().union(*EXPECTED.values()) == set(policy.RIGHTS)


@pytest.mark.parametrize("role", sorted(policy.ROLES))
@pytest.mark.parametrize("right", sorted(policy.RIGHTS))
def test_each_role_holds_exactly_its_rights(role, right):
    assert can(person(role), right) is (right in EXPECTED[role])


@pytest.mark.parametrize("role", sorted(policy.ROLES))
@pytest.mark.parametrize("right", sorted(policy.RIGHTS))
def test_on_a_ticket_scoped_roles_hold_their_rights_only_on_their_own(role, right):
    holds = right in EXPECTED[role]
    scoped = role in policy.ROLE_SCOPE and right in policy.SCOPED_RIGHTS
    assert can(person(role), right, OWN) is holds
    assert can(person(role), right, OTHERS) is (holds and not scoped)


@pytest.mark.parametrize("right", sorted(policy.RIGHTS))
def test_nobody_holds_nothing(right):
    assert can(None, right) is False
    with pytest.raises(SignInRequired):
        require(None, right)


def test_a_scoped_role_without_its_scope_holds_nothing_on_any_ticket():
    unscoped = Principal(id=1, name="x", roles=frozenset({"department"}))
    assert not can(unscoped, "ticket_read", OWN) and not can(unscoped, "ticket_read", Target())


def test_a_co_handling_unit_reads_the_ticket_and_a_grid_worker_reads_by_grid_or_crew():
    assert can(person("department"), "ticket_read", Target(frozenset({"gas", "water"})))
    assert can(person("grid_worker"), "ticket_handle", Target(grid_code="G1"))
    assert can(person("grid_worker"), "ticket_handle", Target(grid_code="G9", crew_code="WGY-1"))
    assert not can(person("grid_worker"), "ticket_handle", Target(grid_code="G9", crew_code="WGY-9"))


def test_rights_of_several_roles_add_up():
    both = person("operator", "department")
    assert can(both, "intake") and can(both, "ticket_handle", OWN)
    assert can(both, "ticket_read", OTHERS)          # as an operator: every ticket
    assert not can(both, "ticket_handle", OTHERS)    # handling stays the department's own


def test_require_returns_the_principal_or_raises_forbidden_naming_the_right():
    leader = person("leader")
    assert require(leader, "analytics") is leader
    with pytest.raises(Forbidden) as refused:
        require(leader, "dispatch")
    assert refused.value.right == "dispatch" and "派单" in refused.value.message


def test_an_unknown_right_is_a_programming_error():
    with pytest.raises(ValueError):
        can(person("admin"), "everything")


def test_ticket_scope_filters_lists_per_role():
    assert policy.ticket_scope(person("operator")) is None
    assert policy.ticket_scope(person("department")) == {"department": {"water"}}
    assert policy.ticket_scope(person("grid_worker")) == {"grid": {"G1"}, "crew": {"WGY-1"}}
    assert policy.ticket_scope(person("street", "community")) == {"street": {"S1"}, "community": {"C1"}}
    assert policy.ticket_scope(person("department", "supervisor")) is None
    assert policy.ticket_scope(person("leader")) == {} and policy.ticket_scope(None) == {}


@pytest.mark.parametrize("role", sorted(policy.ROLES))
@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_each_page_opens_for_the_roles_that_use_it(role, page):
    assert policy.may_open(person(role), page) is (role in PAGE_ROLES[page])


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_open_for_anyone(page):
    assert policy.may_open(None, page) and policy.may_open(person("wall"), page)


def test_the_account_page_is_for_every_signed_in_user_and_unknown_pages_for_nobody():
    assert all(policy.may_open(person(r), "/account") for r in policy.ROLES)
    assert not policy.may_open(None, "/account")
    assert not policy.may_open(person("admin"), "/no-such-page")


@pytest.mark.parametrize("roles, home", [
    (("dispatcher",), "/"), (("operator",), "/hotline"), (("leader",), "/analytics"), (("wall",), "/wall"),
    (("supervisor",), "/"), (("admin",), "/admin"), (("department",), "/work"), (("grid_worker",), "/m"),
    (("street",), "/work"), (("community",), "/work"),
    (("wall", "dispatcher"), "/"), (("leader", "operator"), "/hotline"),
])
def test_home_page_of_each_role(roles, home):
    principal = person(*roles)
    assert policy.home_page(principal) == home and policy.may_open(principal, home)


def test_navigation_lists_only_pages_the_role_may_open():
    assert [p for p, _ in policy.navigation(person("operator"))] == ["/hotline", "/tickets"]
    assert [p for p, _ in policy.navigation(person("leader"))] == ["/", "/wall", "/analytics", "/tickets",
                                                                   "/mediation", "/risk", "/consultation",
                                                                   "/resources", "/petitions"]
    assert [p for p, _ in policy.navigation(person("admin"))] == ["/audit", "/consultation", "/admin"]


def test_only_a_user_who_is_nothing_but_wall_gets_a_kiosk_session():
    assert person("wall").is_kiosk
    assert not person("wall", "dispatcher").is_kiosk and not person("leader").is_kiosk


def test_missing_scopes_names_what_a_scoped_role_needs():
    assert policy.missing_scopes(["department", "operator"], {}) == ["department"]
    assert policy.missing_scopes(["grid_worker"], {"crew": "WGY-1"}) == []
    assert policy.missing_scopes(["street", "community"], {"street": "S1"}) == ["community"]


def test_every_page_and_data_rule_names_known_roles_and_rights():
    for rule in policy.PAGES.values():
        assert rule in (policy.PUBLIC, policy.SIGNED_IN) or rule <= set(policy.ROLES)
    assert set(policy.DATA_ENDPOINTS.values()) <= set(policy.RIGHTS)


# ------------------------------------------------------------------------------------------------ photos

def test_a_photo_is_public_when_marked_so_or_an_open311_upload_where_the_site_publishes_those():
    assert policy.photo_is_public(True, "api", False)
    assert not policy.photo_is_public(False, "open311", False)
    assert policy.photo_is_public(False, "open311", True)
    assert not policy.photo_is_public(False, "api", True)


def test_a_private_photo_is_seen_by_who_may_read_its_ticket_and_by_key_holders():
    ticket = Target(frozenset({"cgj"}), "s1", "c1", "g1")
    assert not policy.may_see_photo(None, ticket)
    assert policy.may_see_photo(Principal(1, "op", frozenset({"operator"})), ticket)
    assert policy.may_see_photo(Principal(2, "d", frozenset({"department"}), department_code="cgj"), ticket)
    assert not policy.may_see_photo(Principal(3, "d", frozenset({"department"}), department_code="hbj"), ticket)
    assert not policy.may_see_photo(Principal(4, "w", frozenset({"wall"})), ticket)
    assert policy.may_see_photo(Principal(None, "key", frozenset(), kind="api_key", scopes=frozenset({"read"})),
                                ticket)
    assert not policy.may_see_photo(Principal(None, "key", frozenset(), kind="api_key",
                                              scopes=frozenset({"intake", "positions"})), ticket)


# ------------------------------------------------------------------------------------------------ transitions

# Who moves a ticket how, as the roles say it (written out apart from policy.ACTION_RIGHTS).
MAY_MOVE = {
    "dispatcher": {"dispatch", "joint_meeting", "merge", "refuse"},
    "operator": {"merge", "evaluate", "reopen", "close"},
    "department": {"accept", "return", "arrive", "resolve", "refuse"},
    "street": {"accept", "return", "arrive", "resolve", "refuse"},
    "community": {"accept", "return", "arrive", "resolve", "refuse"},
    "grid_worker": {"accept", "return", "arrive", "resolve", "refuse"},
    "supervisor": {"escalate"}, "leader": set(), "wall": set(), "admin": set(),
}


def test_every_transition_of_the_state_table_has_a_right():
    from workorders.states import ACTIONS
    assert set(policy.ACTION_RIGHTS) == set(ACTIONS)
    assert set().union(*policy.ACTION_RIGHTS.values()) <= set(policy.RIGHTS)


@pytest.mark.parametrize("role", sorted(policy.ROLES))
@pytest.mark.parametrize("action", sorted(policy.ACTION_RIGHTS))
def test_each_role_moves_its_own_tickets_as_its_work_says(role, action):
    scoped = role in policy.ROLE_SCOPE
    moves = action in MAY_MOVE[role]
    for target, expected in ((OWN, moves), (OTHERS, moves and not scoped)):
        if expected:
            assert policy.require_action(person(role), action, target)
        else:
            with pytest.raises(Forbidden):
                policy.require_action(person(role), action, target)


def test_nobody_moves_a_ticket():
    with pytest.raises(SignInRequired):
        policy.require_action(None, "dispatch", OWN)


# ------------------------------------------------------------------------------------------------ API keys

def key(*scopes: str, **binding) -> Principal:
    return Principal(id=7, name="k", roles=frozenset(), kind="api_key", scopes=frozenset(scopes), **binding)


def test_every_scope_gives_known_rights_and_the_defaults_are_intake_and_read():
    assert set(policy.SCOPE_RIGHTS) == set(policy.KEY_SCOPES) == {"intake", "transitions", "positions", "read"}
    assert set().union(*policy.SCOPE_RIGHTS.values()) <= set(policy.RIGHTS)
    assert policy.DEFAULT_KEY_SCOPES == {"intake", "read"}


def test_a_key_holds_what_its_scopes_give_and_nothing_of_a_user():
    reader = key("intake", "read")
    assert can(reader, "intake") and can(reader, "ticket_read") and can(reader, "caller_history")
    assert not can(reader, "ticket_handle") and not can(reader, "dispatch") and not can(reader, "crew_position")
    mover = key("transitions")
    assert can(mover, "ticket_handle", OTHERS) and can(mover, "dispatch") and not can(mover, "ticket_read")
    for right in ("users", "api_keys", "audit", "analytics", "export", "wall", "live_feed", "command_map"):
        assert not can(key(*policy.KEY_SCOPES), right)
    assert not can(Principal(id=7, name="k", roles=frozenset({"admin"}), kind="api_key"), "users")   # no roles


def test_a_department_key_moves_only_its_own_tickets():
    water = key("transitions", "read", department_code="water")
    assert policy.require_action(water, "resolve", OWN)
    with pytest.raises(Forbidden):
        policy.require_action(water, "resolve", OTHERS)
    with pytest.raises(Forbidden):      # dispatch is unscoped for a dispatcher, never for a bound key
        policy.require_action(water, "dispatch", OTHERS)
    assert can(water, "ticket_read", OWN) and not can(water, "ticket_read", OTHERS)
    assert policy.ticket_scope(water) == {"department": {"water"}}


def test_a_bound_key_asks_for_more_time_on_its_own_tickets_but_never_decides():
    water = key("transitions", department_code="water")
    assert can(water, "extension_request", OWN) and can(water, "ticket_hold", OWN)
    assert not can(water, "extension_request", OTHERS)
    assert not can(water, "extension_decide", OWN) and not can(water, "extension_decide")
    assert not can(key("transitions", crew_code="WGY-1", grid_code="G1"), "extension_decide", OWN)
    assert can(key("transitions"), "extension_decide", OTHERS)          # the district's own system


def test_a_grid_workers_key_reads_no_callers_and_moves_only_its_crews_and_grids_tickets():
    phone = key("intake", "transitions", "positions", crew_code="WGY-1", grid_code="G1")
    assert not can(phone, "ticket_read") and not can(phone, "caller_history")
    assert policy.ticket_scope(phone) == {}
    assert policy.require_action(phone, "arrive", OWN)
    with pytest.raises(Forbidden):
        policy.require_action(phone, "arrive", OTHERS)
    assert policy.ticket_scope(key("read", crew_code="WGY-1", grid_code="G1")) == {"crew": {"WGY-1"},
                                                                                  "grid": {"G1"}}


def test_a_position_needs_the_crews_own_key_or_a_positions_key():
    own, other = Target(crew_code="WGY-1"), Target(crew_code="WGY-2")
    assert can(key("intake", crew_code="WGY-1"), "crew_position", own)          # the crew's key, whatever scope
    assert not can(key("intake", crew_code="WGY-1"), "crew_position", other)
    assert not can(key("positions", crew_code="WGY-1"), "crew_position", other)  # its binding still holds
    assert can(key("positions"), "crew_position", other)                           # a fleet tracker
    assert not can(key("intake", "read", "transitions"), "crew_position", own)
    assert can(key("positions", department_code="water"), "crew_position", Target(frozenset({"water"}), crew_code="X"))
    assert not can(key("positions", department_code="water"), "crew_position", Target(frozenset({"gas"})))


def test_an_unbound_key_lists_every_ticket_and_a_key_without_read_none():
    assert policy.ticket_scope(key("read")) is None
    assert policy.ticket_scope(key("intake", "transitions")) == {}


def test_a_key_is_named_in_the_audit_log_by_its_kind():
    assert key("read").audit_name == "api_key:k" and person("operator").audit_name == "someone"
    assert not Principal(id=7, name="k", roles=frozenset({"wall"}), kind="api_key").is_kiosk


# ------------------------------------------------------------------------------------------------ system

def test_a_system_principal_moves_every_ticket_but_holds_no_right_over_people():
    sim = policy.system_principal("simulator")
    assert sim.kind == "system" and sim.label == "simulator" and sim.audit_name == "system:simulator"
    for action in policy.ACTION_RIGHTS:
        assert policy.require_action(sim, action, OTHERS)
    assert can(sim, "intake") and can(sim, "crew_position", Target(crew_code="ANY"))
    assert policy.ticket_scope(sim) is None
    for right in ("users", "rules", "api_keys", "audit", "export", "analytics"):
        assert not can(sim, right)


def test_a_co_handling_unit_reads_the_ticket_but_only_the_lead_unit_moves_it():
    ticket = {"lead_department_code": "water", "co_department_codes": ["gas"], "street_code": "S1"}
    co_unit = Principal(None, "co", frozenset({"department"}), department_code="gas")
    lead_unit = Principal(None, "lead", frozenset({"department"}), department_code="water")
    target = Target.of_ticket(ticket)
    assert policy.can(co_unit, "ticket_read", target)
    for action in ("accept", "return", "resolve", "arrive"):
        with pytest.raises(policy.Forbidden):
            policy.require_action(co_unit, action, target)
        assert policy.require_action(lead_unit, action, target) is lead_unit


def test_a_programme_shows_street_and_community_staff_their_own_area_and_the_rest_all():
    street = Principal(None, "s", frozenset({"street"}), street_code="S1")
    community = Principal(None, "c", frozenset({"community"}), community_code="C1")
    assert policy.programme_area(street) == {"street": "S1"}
    assert policy.programme_area(community) == {"community": "C1"}
    assert policy.programme_area(Principal(None, "l", frozenset({"leader", "street"}), street_code="S1")) == {}
    leader = Principal(None, "l", frozenset({"leader"}))
    assert policy.programme_reader(leader, "mediation") is leader          # reads the figures (analytics)
    with pytest.raises(Forbidden):
        policy.programme_reader(Principal(None, "o", frozenset({"operator"})), "mediation")
