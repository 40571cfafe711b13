#!/usr/bin/env bash
# Runs every hub process in the foreground of one terminal (make run): migrations and topics first, then the API,
# the outbox relay, the worker, the monitor, the nightly rules (4.5), the platform connectors and simulators, each logging to .local/logs/. Ctrl-C stops them all.
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

pids=()
start() {
  local name=$1; shift
  "$HUB" "$@" >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
  echo "   $name (pid $!) → $LOGS/$name.log"
}
start_simulator() {
  local name=$1; shift
  "$ROOT/.venv/bin/python" -m "$@" >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
  echo "   $name (pid $!) → $LOGS/$name.log"
}
stop_all() {
  echo; echo "== stopping hub processes"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all EXIT INT TERM

echo "== starting hub processes"
start api api
start relay relay
start worker worker
start monitor monitor
start rules rules schedule
start auth-platform-share auth-platform share
start provincial-poll provincial poll

echo "== starting simulators"
# The provincial simulator produces SIM_PROVINCIAL_RATE changes a second (new retirees first), so data moves.
SIM_PROVINCIAL_RATE="${SIM_PROVINCIAL_RATE:-2}" \
  start_simulator provincial-simulator simulators.provincial --port "${SIM_PROVINCIAL_PORT:-8201}"
start_simulator auth-platform-simulator simulators.auth_platform --port "${SIM_AUTH_PORT:-8202}" \
  --webhook-url "http://127.0.0.1:${HUB_API_PORT:-8000}/api/v1/auth-platform/face-results"

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${HUB_API_PORT:-8000}/health" >/dev/null 2>&1 && break
  sleep 0.5
done
cat <<TXT

The hub is running. Where to look:
  API and OpenAPI    http://127.0.0.1:${HUB_API_PORT:-8000}/docs   (health: /health)
  metrics            http://127.0.0.1:${HUB_API_PORT:-8000}/metrics  relay :9101  worker :9102  monitor :9103  rules :9104  shares :9105  provincial :9106
  Prometheus         http://127.0.0.1:${HUB_PROMETHEUS_PORT:-9090}
  provincial sim.    http://127.0.0.1:${SIM_PROVINCIAL_PORT:-8201}/wsdl   (admin: /admin/stats, /admin/faults)
  auth platform sim. http://127.0.0.1:${SIM_AUTH_PORT:-8202}/docs   (POST /admin/emit pushes signed face results)
  log in             POST /api/v1/auth/login as one of the demo accounts above (password Demo2026sjz),
                     e.g. community_operator; then Authorize in /docs with the token
  dead letters       .venv/bin/hub dlq list
  logs               $LOGS/
Ctrl-C stops the hub processes (scripts/services.sh stop stops PostgreSQL, Kafka and Prometheus).
TXT
wait -n "${pids[@]}"
echo "a hub process exited; see $LOGS" >&2
exit 1
