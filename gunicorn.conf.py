"""gunicorn's settings for every deployment: `gunicorn -c gunicorn.conf.py app:server` (Dockerfile,
docker-compose.yml and `make run` alike). The values come from settings.py (the environment), documented in the
README's configuration table."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))      # `settings` beside this file, whatever the cwd

from settings import get_settings  # noqa: E402

_settings = get_settings()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.gunicorn_workers
worker_class = _settings.gunicorn_worker_class
threads = _settings.gunicorn_threads
timeout = _settings.gunicorn_timeout
# The dashboard logs its own errors; gunicorn's access log would print every live-feed poll and asset.
accesslog = None
errorlog = "-"
# No control socket (gunicornc): nothing here uses it, and every gunicorn of a machine would share its one path.
control_socket_disable = True
