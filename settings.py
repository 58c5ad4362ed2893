"""The one settings object of the product: everything configurable comes from the environment.

Nothing else in the code base reads ``os.environ``; ask ``get_settings()`` instead.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # PostGIS. The plain URL users write (postgresql://…) is accepted; geo.db picks psycopg2.
    database_url: str = "postgresql://postgres@127.0.0.1:5432/tiedong"
    redis_url: str = "redis://127.0.0.1:6379/0"

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
    # Open311 jurisdiction this server answers for (requests naming another one get 404).
    open311_jurisdiction: str = "tiedong.anshan"
    # Redis stream the outbox relay publishes to, and its cap (far above any backlog: trimming ignores readers).
    event_stream: str = "tickets:events"
    event_stream_maxlen: int = 1_000_000
    # `python app.py` also runs the outbox relay in a background thread (one-process set-up); turn off where
    # `python -m etl relay` runs on its own.
    run_relay_in_app: bool = True
    # Live map: crew positions arrive on this stream; the latest per crew is kept in a Redis hash.
    position_stream: str = "crews:positions"
    position_stream_maxlen: int = 200_000
    latest_positions_key: str = "crews:latest"
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

    # gunicorn (gunicorn.conf.py): gevent worker processes, and how many connections each may hold (open maps
    # included: each keeps one live connection).
    web_workers: int = Field(default=4, ge=1)
    web_worker_connections: int = Field(default=1000, ge=10)

    # `make run` starts the live simulator (python -m etl simulate) beside the dashboard; false: a quiet map.
    simulate_on_run: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
