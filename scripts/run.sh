#!/usr/bin/env bash
# Runs every hub process in the foreground of one terminal (make run): migrations and topics first, then the API,
# the outbox relay, the worker, the monitor, the nightly rules (4.5), the platform connectors and simulators, each logging
# to .local/logs/ and each restarted (with backoff) if it exits. Ctrl-C stops them all.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HUB="$ROOT/.venv/bin/hub"
LOGS="$ROOT/.local/logs"
mkdir -p "$LOGS"
cd "$ROOT"

echo "== migrating the database"; "$HUB" db upgrade
echo "== creating topics"; "$HUB" topics create
echo "== demo registry data (only into an empty registry; HUB_DEMO_RETIREES, default 20000)"
"$HUB" registry seed --if-empty --retirees "${HUB_DEMO_RETIREES:-20000}"
echo "== demo channel apps 石i民 and 石家庄人社, pushing to the channel-app simulator (only if missing)"
"$HUB" channel demo-apps --webhook-base "http://127.0.0.1:${SIM_CHANNEL_PORT:-8203}"

# Each process runs in its own restart loop (app/supervisor.py), as `restart: unless-stopped` does in
# docker-compose.yml: one that exits is started again after 1 s, 2 s, 4 s … up to HUB_RESTART_MAX_SECONDS (60),
# the delay starting over once it had stayed up a minute; each exit is logged here with its code; the others keep
# running. Ctrl-C (or TERM) stops them all.
echo "== starting hub processes and simulators (logs: $LOGS/NAME.log, this run's only)"
find "$LOGS" -maxdepth 1 -name '*.log' -delete
# The provincial simulator produces SIM_PROVINCIAL_RATE changes a second (new retirees first), so data moves.
export SIM_PROVINCIAL_RATE="${SIM_PROVINCIAL_RATE:-2}"
PY="$ROOT/.venv/bin/python"
"$PY" -m app.supervisor --logs "$LOGS" \
  --restart-initial 1 --restart-max "${HUB_RESTART_MAX_SECONDS:-60}" --healthy-after 60 \
  "api=$HUB api" \
  "relay=$HUB relay" \
  "worker=$HUB worker" \
  "monitor=$HUB monitor" \
  "rules=$HUB rules schedule" \
  "auth-platform-share=$HUB auth-platform share" \
  "provincial-poll=$HUB provincial poll" \
  "provincial-simulator=$PY -m simulators.provincial --port ${SIM_PROVINCIAL_PORT:-8201}" \
  "auth-platform-simulator=$PY -m simulators.auth_platform --port ${SIM_AUTH_PORT:-8202} --webhook-url http://127.0.0.1:${HUB_API_PORT:-8000}/api/v1/auth-platform/face-results" \
  "channel-app-simulator=$PY -m simulators.channel_app --port ${SIM_CHANNEL_PORT:-8203}" &
SUPERVISOR=$!
stop_all() {
  trap - INT TERM
  echo; echo "== stopping hub processes"
  kill -TERM "$SUPERVISOR" 2>/dev/null || true
  wait "$SUPERVISOR" 2>/dev/null || true
  exit 0
}
trap stop_all INT TERM

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${HUB_API_PORT:-8000}/health" >/dev/null 2>&1 && break
  sleep 0.5
done
cat <<TXT

The hub is running. Where to look:
  staff console      http://127.0.0.1:${HUB_API_PORT:-8000}/console/   (log in as a demo account below, password Demo2026sjz)
  API and OpenAPI    http://127.0.0.1:${HUB_API_PORT:-8000}/docs   (health: /health)
  metrics            http://127.0.0.1:${HUB_API_PORT:-8000}/metrics  relay :9101  worker :9102  monitor :9103  rules :9104  shares :9105  provincial :9106
  Prometheus         http://127.0.0.1:${HUB_PROMETHEUS_PORT:-9090}
  provincial sim.    http://127.0.0.1:${SIM_PROVINCIAL_PORT:-8201}/wsdl   (admin: /admin/stats, /admin/faults)
  auth platform sim. http://127.0.0.1:${SIM_AUTH_PORT:-8202}/docs   (POST /admin/emit pushes signed face results)
  channel-app sim.   http://127.0.0.1:${SIM_CHANNEL_PORT:-8203}/admin/received   (pushes to 石i民/石家庄人社; /admin/faults)
  demo accounts      community_operator, district_operator, street_viewer, city_operator, sysadmin, secadmin, auditor
                     (listed above by the seed; password Demo2026sjz) — the console is where staff work; /docs is
                     for engineers (POST /api/v1/auth/login, then Authorize with the token)
  dead letters       .venv/bin/hub dlq list
  logs               $LOGS/
Ctrl-C stops the hub processes (scripts/services.sh stop stops PostgreSQL, Kafka and Prometheus).
TXT
# Only the supervisor ending ends the script (it restarts whatever else exits).
wait "$SUPERVISOR" || true
