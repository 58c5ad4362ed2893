"""The outbox relay as a worker: events.relay.Relay batch after batch, pruning old published events on the way.

Full batches go back to back; an empty or short one waits ``idle_poll`` (50 ms: the relay's wait is part of every
ticket's way to the wall). Outages and unexpected errors are the supervised loop's (workers/loop.py).
"""
from __future__ import annotations

import logging
import threading

from events.relay import Relay
from geo.retention import prune_outbox
from workers.loop import Every, SupervisedLoop

log = logging.getLogger("events.relay")


def relay_loop(relay: Relay) -> SupervisedLoop:
    retention = Every(lambda: prune_outbox(engine=relay.engine), "published outbox events")

    def step() -> float:
        retention.due()
        published = relay.publish_batch()
        return 0.0 if published == relay.batch_size else relay.idle_poll

    return SupervisedLoop("relay", step, log=log, first_backoff=relay.idle_poll, max_backoff=relay.max_backoff,
                          while_down="events wait in the outbox", stats=relay.stats)


def run_relay(stop: threading.Event, relay: Relay | None = None) -> Relay:
    """Publish the outbox until ``stop`` is set; returns the relay (its stats)."""
    relay = relay or Relay()
    log.info("relay publishing outbox → redis stream %r", relay.stream)
    relay_loop(relay).run(stop)
    log.info("relay stopped (%d events published)", relay.stats.published)
    return relay
