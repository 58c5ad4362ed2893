"""gunicorn's settings for every deployment: `gunicorn -c gunicorn.conf.py app:server` (Dockerfile,
docker-compose.yml and `make run` alike). The values come from settings.py (the environment), documented in the
README's configuration table.

gevent workers: every open map holds a server-sent-events connection (/live/events) for as long as it stays open.
Under gthread each of them held a worker thread, and about 130 open maps starved every other request, intake
included. A gevent worker holds a connection as a greenlet and a socket (memory, not a thread), and each process
reads Redis once for all its browsers (events.hub). bench/results/connections-*.md has the numbers.

What follows for code: psycopg2 waits through gevent (psycogreen, below) and redis-py uses gevent's patched
sockets, so a query or a blocking XREAD lets the worker's other requests run; pure-Python CPU work (a large
figure) does not yield, and that is what the several workers are for.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))      # `settings` beside this file, whatever the cwd

from settings import get_settings  # noqa: E402

_settings = get_settings()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.gunicorn_workers
worker_class = _settings.gunicorn_worker_class
worker_connections = _settings.gunicorn_worker_connections     # gevent: connections one worker may hold
threads = _settings.gunicorn_threads                           # gthread only
timeout = _settings.gunicorn_timeout
# Open live connections never finish on their own: do not wait the default 30 s for them on a restart (the
# browsers reconnect from their cursor, with jitter).
graceful_timeout = 10
keepalive = 5
# The app is imported in each worker after gevent has patched it; importing it in the master first would leave
# unpatched sockets and locks behind.
preload_app = False
# The dashboard logs its own errors; gunicorn's access log would print every live-feed poll and asset.
accesslog = None
errorlog = "-"
# No control socket (gunicornc): nothing here uses it, and every gunicorn of a machine would share its one path.
control_socket_disable = True


def post_fork(server, worker):
    if worker_class == "gevent":
        # psycopg2 is a C library: without this, every query would block the whole worker. psycogreen's callback,
        # with the connect timeout kept (geo/green.py: libpq does not apply it to a polled connect).
        from geo.green import patch_psycopg
        patch_psycopg(_settings.database_connect_timeout_seconds)
