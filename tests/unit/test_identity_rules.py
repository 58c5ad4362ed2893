"""Passwords, next-URL rules and how the gate names a Dash callback's page (pure: no database, no server)."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from security.gate import callback_outputs, callback_pages, component_page
from security.next_url import login_url, safe_next
from services.identity import (HASHER, PASSWORD_ALPHABET, IdentityError, _verify, check_password_rules,
                               generate_password)


# ------------------------------------------------------------------------------------------------ passwords

def test_hashes_are_argon2id_salted_and_verify_only_the_right_password():
    first, second = HASHER.hash("correct horse"), HASHER.hash("correct horse")
    assert first.startswith("$argon2id$") and first != second          # a salt of its own each time
    assert _verify(first, "correct horse") and _verify(second, "correct horse")
    assert not _verify(first, "correct horsE") and not _verify(first, "")


def test_a_broken_or_foreign_hash_never_verifies():
    assert not _verify("not-a-hash", "x")
    assert not _verify("$2b$12$abcdefghijklmnopqrstuu", "x")


def test_a_hash_made_with_weaker_parameters_asks_to_be_rehashed():
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("correct horse")
    assert HASHER.check_needs_rehash(weak) and not HASHER.check_needs_rehash(HASHER.hash("correct horse"))


def test_generated_passwords_are_long_unambiguous_and_different():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 16 and set(p) <= set(PASSWORD_ALPHABET) for p in passwords)
    assert not set("0O1lI") & set(PASSWORD_ALPHABET)


@pytest.mark.parametrize("password, field_message", [
    ("short", "长度"), ("x" * 129, "长度"), ("Operator-01", "用户名"),
])
def test_password_rules_refuse_with_a_message(password, field_message):
    with pytest.raises(IdentityError) as refused:
        check_password_rules(password, "operator-01")
    assert refused.value.field == "password" and field_message in refused.value.message


# ------------------------------------------------------------------------------------------------ next URLs

@pytest.mark.parametrize("value", ["/", "/hotline", "/hotline?channel=letter", "/tickets/20261126-000123",
                                   "/analytics#top"])
def test_same_site_paths_are_kept(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", [
    None, "", "hotline", "//evil.example/", "/\\evil.example", "https://evil.example/", "http:/evil.example",
    "javascript:alert(1)", "/hot\nline", "/hot\tline", "/\x7f", "/a\\b", " /hotline", "/" + "a" * 600,
])
def test_other_sites_and_odd_values_are_refused(value):
    assert safe_next(value) is None


def test_login_url_carries_the_page_to_come_back_to():
    assert login_url("/hotline?channel=letter") == "/login?next=/hotline%3Fchannel%3Dletter"
    assert login_url("/") == "/login" and login_url("//evil.example") == "/login"
    assert login_url("/login?next=/x") == "/login"


# ------------------------------------------------------------------------------------------------ callbacks

def test_a_callback_key_is_split_into_its_output_components():
    key = '..report-result-data.data...{"field":["ALL"],"type":"report-error"}.children...report-phone.value@ab12..'
    assert callback_outputs(key) == [("report-result-data", "data"), ("report-error", "children"),
                                     ("report-phone", "value")]
    assert callback_outputs("track-result.children") == [("track-result", "children")]


@pytest.mark.parametrize("component, page", [
    ("hotline-history", "/hotline"), ("report-phone", "/report"), ("track-result", "/track"),
    ("an-map", "/analytics"), ("wall-tiles", "/wall"), ("grid-panel-body", "/"), ("command-map", "/"),
    ("audit-results", "/audit"), ("account-result", "/account"), ("nothing-known", None),
])
def test_components_belong_to_pages_by_their_id(component, page):
    assert component_page(component) == page


def test_the_router_is_recognised_and_a_callback_with_an_unknown_output_has_no_rule():
    assert callback_pages(".._pages_content.children..._pages_store.data..") == "router"
    assert callback_pages("..hotline-result.children...wall-tiles.children..") == frozenset({"/hotline", "/wall"})
    assert callback_pages("..hotline-result.children...secret-thing.children..") is None
