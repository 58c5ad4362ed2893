FROM python:3.11-slim-bookworm
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV HOST=0.0.0.0 PORT=8050
EXPOSE 8050
# Migrate, load the reference data when missing (idempotent), then serve with gunicorn as gunicorn.conf.py says
# (gevent workers: every open map holds one server-sent-events connection, as a greenlet, not a thread). The relay
# and the position ingester run as their own services (docker-compose.yml), so the web workers do only web work.
ENV RUN_RELAY_IN_APP=false
CMD ["sh", "-c", "alembic upgrade head && python -m etl reference && exec gunicorn -c gunicorn.conf.py app:server"]
