"""Reading the live feed as a browser does, from tests: /live/events over HTTP, and the compact wire form."""
from __future__ import annotations

import json
import threading
import urllib.request


def rows(table: dict) -> list[dict]:
    """The compact form's rows under their header, as objects."""
    return [dict(zip(table["fields"], row)) for row in table["rows"]]


def ticket_numbers(message: dict) -> set[str]:
    """Ticket numbers of a snapshot or a batch."""
    return {t["number"] for t in rows(message["tickets"])}


def parse_events(lines) -> "iter[tuple[str, str | None, str]]":
    """(event, id, data) for each server-sent event in an iterable of text lines."""
    event, entry_id, data = "message", None, []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            if data:
                yield event, entry_id, "\n".join(data)
            event, entry_id, data = "message", None, []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("id:"):
            entry_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


class StreamReader(threading.Thread):
    """Reads /live/events from ``cursor`` over HTTP and keeps every event; ``numbers`` = tickets of its batches."""

    def __init__(self, url: str, cursor: str | None, cookie: str | None = None, timeout: float = 30):
        super().__init__(daemon=True)
        query = f"?cursor={urllib.request.quote(cursor)}" if cursor else ""
        self.request = urllib.request.Request(f"{url}/live/events{query}", headers={"Cookie": cookie} if cookie else {})
        self.timeout = timeout
        self.events: list[tuple[str, str | None, str]] = []
        self.numbers: set[str] = set()
        self.error: Exception | None = None
        self.opened = threading.Event()

    def run(self) -> None:
        try:
            with urllib.request.urlopen(self.request, timeout=self.timeout) as answer:
                self.opened.set()
                for event in parse_events(raw.decode("utf-8") for raw in answer):
                    self.events.append(event)
                    if event[0] == "batch":
                        self.numbers |= ticket_numbers(json.loads(event[2]))
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error
