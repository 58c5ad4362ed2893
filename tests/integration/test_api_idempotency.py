"""Idempotency-Key on POST /api/v1/tickets: a retried request never makes a second ticket."""
from __future__ import annotations

import threading

from tests.fresh import unique
from tests.integration.api_helpers import error_of, ticket_body


def tickets_of(client, auth, phone: str) -> list[str]:
    answer = client.get(f"/api/v1/tickets?phone={phone}", headers=auth)
    return [t["number"] for t in answer.get_json()["tickets"]]


def test_the_same_key_and_body_give_the_same_ticket_once(client, auth, spot):
    body = ticket_body(spot)
    headers = {**auth, "Idempotency-Key": unique("retry")}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert tickets_of(client, auth, body["citizen_phone"]) == [first.get_json()["ticket"]["number"]]


def test_the_same_key_with_another_body_is_422(client, auth, spot):
    body = ticket_body(spot)
    headers = {**auth, "Idempotency-Key": unique("retry")}
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
    answer = client.post("/api/v1/tickets", json={**body, "description": "另一件事"}, headers=headers)
    assert answer.status_code == 422
    assert error_of(answer) == {"code": "idempotency_conflict", "field": "Idempotency-Key",
                                "message": error_of(answer)["message"]}
    assert len(tickets_of(client, auth, body["citizen_phone"])) == 1


def test_without_a_key_every_post_is_a_new_ticket(client, auth, spot):
    body = ticket_body(spot)
    assert client.post("/api/v1/tickets", json=body, headers=auth).status_code == 201
    assert client.post("/api/v1/tickets", json=body, headers=auth).status_code == 201
    assert len(tickets_of(client, auth, body["citizen_phone"])) == 2


def test_keys_are_scoped_by_api_key(client, auth, spot):
    """Two integrations choosing the same Idempotency-Key do not see each other's tickets."""
    from services.api_keys import create_api_key
    from geo.api_keys import delete_api_key
    from geo.db import get_engine
    name = unique("test-other")
    other = {"X-API-Key": create_api_key(name)}
    try:
        shared = unique("shared")
        body = ticket_body(spot)
        first = client.post("/api/v1/tickets", json=body, headers={**auth, "Idempotency-Key": shared})
        second = client.post("/api/v1/tickets", json=body, headers={**other, "Idempotency-Key": shared})
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.get_json()["ticket"]["number"] != second.get_json()["ticket"]["number"]
    finally:
        with get_engine().begin() as conn:
            delete_api_key(conn, name)


def test_anonymous_callers_share_the_anonymous_scope(client, auth, spot):
    body = ticket_body(spot, channel="web")
    headers = {"Idempotency-Key": unique("anon")}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["ticket"]["number"] == first.get_json()["ticket"]["number"]


def test_an_overlong_key_is_refused(client, auth, spot):
    answer = client.post("/api/v1/tickets", json=ticket_body(spot), headers={**auth, "Idempotency-Key": "k" * 201})
    assert answer.status_code == 400 and error_of(answer)["field"] == "Idempotency-Key"


def test_two_threads_racing_with_the_same_key_make_one_ticket(client, auth, spot):
    from app import server
    body = ticket_body(spot)
    headers = {**auth, "Idempotency-Key": unique("race")}
    start = threading.Barrier(2)
    answers: list = [None, None]

    def post(i: int) -> None:
        own = server.test_client()      # one client per thread
        start.wait()
        answers[i] = own.post("/api/v1/tickets", json=body, headers=headers)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 201], [a.get_json() for a in answers]
    numbers = {a.get_json()["ticket"]["number"] for a in answers}
    assert len(numbers) == 1
    assert tickets_of(client, auth, body["citizen_phone"]) == list(numbers)
