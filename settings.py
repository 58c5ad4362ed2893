"""The one settings object of the product: everything configurable comes from the environment.

Nothing else in the code base reads ``os.environ``; ask ``get_settings()`` instead.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # PostGIS. The plain URL users write (postgresql://…) is accepted; geo.db picks psycopg2.
    database_url: str = "postgresql://postgres@127.0.0.1:5432/tiedong"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # How soon a lost PostgreSQL is noticed (geo/db.py): a connection attempt gives up after
    # `database_connect_timeout_seconds` (libpq counts whole seconds, at least 2); a connection whose peer vanished
    # fails after `database_tcp_timeout_seconds` (TCP user timeout and keepalives); a request waits at most
    # `database_pool_timeout_seconds` for a pooled connection. Then the doors answer 503 with a Retry-After of
    # `outage_retry_after_seconds` (services/outages.py).
    database_connect_timeout_seconds: int = Field(default=3, ge=2)
    database_tcp_timeout_seconds: int = Field(default=10, ge=2)
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # A pooled connection idle for longer than this is pinged before it is handed out (a dead one is replaced
    # unseen); one used more recently is not: the ping was a round trip on every checkout, three per intake POST.
    # 0: ping on every checkout.
    database_ping_idle_seconds: float = Field(default=1.0, ge=0)
    outage_retry_after_seconds: int = Field(default=10, ge=1)

    # `python app.py` serves here.
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False

    # Datum of the shipped district boundary (AMap publishes GCJ-02); it is converted to WGS-84 on load.
    district_datum: Literal["gcj02", "wgs84"] = "gcj02"
    # Seed of the generated Tiedong reference data: same seed, same streets, grids, cameras and crews.
    reference_seed: int = 96715

    # Optional raster basemap, e.g. a site's own tile server: https://tiles.example/{z}/{x}/{y}.png.
    # Empty means no basemap at all: the map then needs no outside host.
    basemap_tile_url: str = ""
    basemap_attribution: str = ""

    # Work orders. Local time decides "the same day"; requests registered after the cut-off hour are due by the
    # end of the next day (a request at 23:50 cannot be done by midnight).
    timezone: str = "Asia/Shanghai"
    same_day_cutoff_hour: int = Field(default=20, ge=0, le=24)
    # A new ticket of the same category this close to an open one, this soon after it, is offered as a duplicate.
    duplicate_radius_m: float = Field(default=150.0, gt=0)
    duplicate_window_hours: float = Field(default=24.0, gt=0)
    # A new ticket of a category closed for the same caller, or this close to the same place, within this many days
    # after its closure is linked to it as a repeat (重复投诉) at intake.
    repeat_radius_m: float = Field(default=100.0, gt=0)
    repeat_window_days: int = Field(default=30, gt=0)
    # Units whose share of 满意+基本满意 among the ratings of the window is below this are listed on /supervision.
    low_satisfaction_rate: float = Field(default=0.8, gt=0, le=1)
    # 挂起 (hold, services/handling.py): a ticket is held at most this many times; a hold counts (moves the
    # deadlines) up to this many hours and the escalation sweep ends one that lasts longer.
    hold_limit_per_ticket: int = Field(default=2, ge=0)
    hold_max_hours: float = Field(default=72.0, gt=0)
    # Open311 jurisdiction this server answers for (requests naming another one get 404).
    open311_jurisdiction: str = "tiedong.anshan"
    # Redis stream the outbox relay publishes to, and its cap (far above any backlog: trimming ignores readers).
    event_stream: str = "tickets:events"
    event_stream_maxlen: int = 1_000_000
    # `python app.py` also runs the workers (outbox relay, position ingester, escalation sweep) as threads
    # (one-process set-up); turn off where `python -m workers relay|positions|escalate` run on their own.
    run_relay_in_app: bool = True
    # Live map: crew positions arrive on this stream; the latest per crew is kept in a Redis hash. The ingester
    # trims the stream behind what it has acknowledged, keeping `position_stream_keep_seconds` for reconnecting
    # browsers; the MAXLEN is only a far safety cap (it would drop entries the ingester has not stored yet).
    position_stream: str = "crews:positions"
    position_stream_maxlen: int = 1_000_000
    position_stream_keep_seconds: float = Field(default=3600.0, ge=0)
    latest_positions_key: str = "crews:latest"
    # A positions consumer silent this long with pending entries is taken to have crashed: another claims them.
    # Long enough that a slow batch is not taken twice; the fault test sets 15 to prove the claim inside 30 s.
    position_claim_idle_seconds: float = Field(default=60.0, ge=0)
    # Positions the ingester can never store (malformed) are moved here, with the reason; /healthz counts them.
    position_dead_letter_stream: str = "crews:positions:dead"
    # The escalation sweep runs this often (`python -m workers escalate`, or a thread of `python app.py`).
    escalation_every_seconds: float = Field(default=60.0, gt=0)
    # Retention, so that a system left running for months does not fill its disk: crew tracks older than this are
    # deleted by the position ingester, published outbox events by the relay (0 keeps them for ever). Checked
    # every `retention_every_seconds`.
    track_retention_days: float = Field(default=90.0, ge=0)
    outbox_retention_days: float = Field(default=7.0, ge=0)
    retention_every_seconds: float = Field(default=3600.0, gt=0)
    # Dispatch: straight-line ETA at this speed (urban driving, lights included).
    crew_speed_kmh: float = Field(default=25.0, gt=0)

    # Public base URL used in links sent to citizens (evaluation SMS text); empty = the host that served the page.
    public_base_url: str = ""

    # How long the dashboard keeps the reference-data figure before asking PostGIS again.
    map_cache_seconds: int = Field(default=60, ge=0)

    # `make run` starts the live simulator (python -m simulation) beside the dashboard; false: a quiet map.
    simulate_on_run: bool = True

    # gunicorn (gunicorn.conf.py: the Dockerfile, docker-compose and `make run` all serve through it): gevent
    # worker processes, and how many connections each may hold (open maps included: each keeps one live
    # connection). Threads count only for a gthread worker class.
    gunicorn_workers: int = Field(default=4, ge=1)
    gunicorn_worker_class: str = "gevent"
    gunicorn_worker_connections: int = Field(default=1000, ge=10)
    gunicorn_threads: int = Field(default=32, ge=1)
    gunicorn_timeout: int = Field(default=120, ge=1)

    # /healthz answers 503 when a check is past its limit. It waits at most `health_timeout_seconds` for
    # PostgreSQL and for Redis. Relay lag: age of the oldest unpublished outbox row. Ingester lag: age of the
    # oldest position the `tracks` group has not acknowledged. Sweep age: since the last successful escalation
    # sweep (none recorded: since this process started, so a fresh process is not reported unhealthy).
    health_timeout_seconds: float = Field(default=2.0, gt=0)
    health_max_relay_lag_seconds: float = Field(default=60.0, gt=0)
    health_max_ingester_lag_seconds: float = Field(default=120.0, gt=0)
    health_max_sweep_age_seconds: float = Field(default=300.0, gt=0)
    health_max_dead_letters: int = Field(default=0, ge=0)
    health_max_live_connections: int = Field(default=5000, ge=0)
    # The live map's snapshot holds at most this many open tickets, the most urgent first (priority, then the
    # nearest deadline); beyond it the snapshot says how many are open and the map says it shows only part.
    live_snapshot_max_tickets: int = Field(default=50_000, ge=1)

    # ---------------------------------------------------------------------------------------- identity, security
    # development: a missing SECRET_KEY is generated once and kept in var/secret_key (sessions survive restarts);
    # production: a missing SECRET_KEY stops the app at start-up.
    app_env: Literal["development", "production"] = "development"
    secret_key: str = ""
    # Where the app keeps what it generates for itself (the development key, the demo users' passwords).
    var_dir: Path = ROOT / "var"
    # A signed-in user who does nothing for this long is signed out (the wall's kiosk session never is).
    session_idle_minutes: float = Field(default=30.0, gt=0)
    # A grid worker signs in once on their phone: their session lasts this long without use (not 30 minutes).
    grid_worker_session_days: float = Field(default=30.0, gt=0)
    # Host headers the app answers (comma list; a leading dot allows subdomains). A page on another name that
    # resolves to this machine (DNS rebinding) gets 400.
    allowed_hosts: str = "127.0.0.1,localhost"
    # Proxies in front of the app that set X-Forwarded-For/-Proto (0: none; the client address is the peer).
    forwarded_hops: int = Field(default=0, ge=0, le=5)
    # Largest request body accepted by any route (bytes; chunked bodies are counted as they arrive).
    max_request_bytes: int = Field(default=1_048_576, gt=0)
    # Sign-in failures: this many for one account within the window lock it for `login_lockout_minutes`;
    # an address with more than `login_address_failures` failures waits longer before each further try.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: float = Field(default=15.0, gt=0)
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    login_address_failures: int = Field(default=10, ge=1)
    # Rate limits ("N/second|minute|hour|day", per client address; several joined by ";").
    rate_limit_login: str = "20/minute"
    rate_limit_anonymous_intake: str = "10/minute;60/hour"
    rate_limit_lookup: str = "30/minute;300/hour"

    # ---------------------------------------------------------------------------------------------- photos
    # Photos (Open311 uploads, /api/v1 photos, the workplaces' replies) are re-encoded and stored here: the
    # published files under photos/, files still waiting for their database commit under tmp/ (same file system:
    # publishing is a rename). Their metadata lives in PostGIS (ticket_photos).
    media_dir: Path = ROOT / "var" / "media"
    # One photo as uploaded (bytes), and its pixels (width × height): a small file that decodes to a huge image
    # (a decompression bomb) is refused before it is decoded. 4000×3000 phone photos are 12 MP.
    media_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    media_max_pixels: int = Field(default=50_000_000, gt=0)
    # Photos in one request (one Open311 POST, one /api/v1 photos POST, one reply).
    media_max_photos: int = Field(default=5, ge=1)
    # Body limit of the routes that take uploads (MAX_REQUEST_BYTES stays the limit of every other route):
    # room for MEDIA_MAX_PHOTOS photos of MEDIA_MAX_BYTES and the form around them.
    max_upload_request_bytes: int = Field(default=52 * 1024 * 1024, gt=0)
    # Staged files older than this whose commit never came (a crash, a killed worker) are swept: published when
    # their row exists, deleted when it does not.
    media_staged_grace_seconds: float = Field(default=3600.0, gt=0)
    # Whether a photo a citizen sent through Open311 is served to anyone who has its media_url (Open311 GETs are
    # open to all). Off by default: a citizen's photo shows faces, plates, the inside of homes, and nobody has
    # looked at it yet; staff and API keys see it either way.
    open311_photos_public: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
