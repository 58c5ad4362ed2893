"""The one error an Open311 endpoint answers with: an HTTP status and the spec's list of {code, description}."""
from __future__ import annotations


class Open311Error(Exception):
    """A request the client got wrong. ``descriptions`` may hold several problems found at once."""

    def __init__(self, status: int, *descriptions: str, headers: dict[str, str] | None = None):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("error",)
        self.headers = headers or {}       # e.g. Retry-After of a 503

    def items(self) -> list[dict]:
        # The spec's <code> is the HTTP status (its own examples use 403, 404 …): every item repeats it.
        return [{"code": self.status, "description": d} for d in self.descriptions]


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def unavailable(description: str, retry_after_seconds: int) -> Open311Error:
    """503: the server cannot take the request now (database away, photo store unwritable); try again later."""
    return Open311Error(503, description, headers={"Retry-After": str(retry_after_seconds),
                                                   "Cache-Control": "no-store"})
