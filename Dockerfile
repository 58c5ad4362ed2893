FROM python:3.11-slim-bookworm
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV HOST=0.0.0.0 PORT=8050
EXPOSE 8050
# Migrate, load the reference data when missing (idempotent), then serve with gunicorn, configured by
# gunicorn.conf.py from the settings (GUNICORN_WORKERS, GUNICORN_WORKER_CLASS = gevent: every open map holds one
# server-sent-events connection, as a greenlet, not a thread; bind HOST:PORT), the same file `make run` serves
# with. The workers (`python -m workers relay|positions|escalate`) run as their own services (docker-compose.yml),
# so the web workers do only web work.
ENV RUN_RELAY_IN_APP=false
CMD ["sh", "-c", "alembic upgrade head && python -m etl reference && exec gunicorn -c gunicorn.conf.py app:server"]
