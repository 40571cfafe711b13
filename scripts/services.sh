#!/usr/bin/env bash
# Local services for development and tests, without Docker: PostgreSQL and Prometheus from Debian's packages,
# Apache Kafka (KRaft, single node) from its artifacts on Maven Central, run with the machine's Java 17.
#
#   scripts/services.sh start  [all|postgres|kafka|prometheus|browser]  install what is missing, start (no-op if running)
#                                                                 (browser: Debian's Chromium and CJK fonts for the
#                                                                 browser tests, tests/browser/; nothing to start)
#                                                                 (fonts: Debian's fonts-wqy-microhei, the CJK font the
#                                                                 hub's printed PDFs embed, channels/printing/pdf.py)
#   scripts/services.sh stop   [all|postgres|kafka|prometheus]   stop (Kafka: SIGTERM, then SIGKILL after 30 s)
#   scripts/services.sh restart [all|postgres|kafka|prometheus]  stop, then start (outage drills, tests/e2e/test_resilience.py)
#   scripts/services.sh status                                    what runs, and where
#   scripts/services.sh env                                       export lines of the hub's connection settings
#
# Safe to run again. Works on a brand-new Debian machine (as root, or with sudo). All data lives in .local/.
# Ports: HUB_PG_PORT (54329), HUB_KAFKA_PORT (9092), HUB_KAFKA_CONTROLLER_PORT (9093), HUB_PROMETHEUS_PORT (9090).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
PG_PORT="${HUB_PG_PORT:-54329}"
KAFKA_PORT="${HUB_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${HUB_KAFKA_CONTROLLER_PORT:-9093}"
PROM_PORT="${HUB_PROMETHEUS_PORT:-9090}"
PG_DIR="$LOCAL/pg"
KAFKA_DIR="$LOCAL/kafka"
PROM_DIR="$LOCAL/prometheus"
export DEBIAN_FRONTEND=noninteractive

say() { echo "services: $*"; }
fail() { echo "services: FAILED: $*" >&2; exit 1; }
show_log() { [ -f "$1" ] && { echo "---- last lines of $1" >&2; tail -n 40 "$1" >&2; }; return 0; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

APT_UPDATED=""
apt_install() {
  local missing=() package
  for package in "$@"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    as_root apt-get update -qq || fail "apt-get update failed (are Debian's package mirrors reachable?)"
    APT_UPDATED=1
  fi
  say "installing ${missing[*]} from Debian's packages"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
}

# ---------------------------------------------------------------- PostgreSQL
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() {  # the server refuses to run as root: run it as the postgres user then
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
psql_admin() { "$(pg_bin)/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

start_postgres() {
  [ -n "$(pg_bin)" ] || apt_install postgresql
  local bin; bin="$(pg_bin)"
  [ -x "$bin/initdb" ] || fail "PostgreSQL's server binaries are missing under /usr/lib/postgresql"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    su postgres -s /bin/sh -c "test -w '$PG_DIR'" \
      || fail "the postgres user cannot reach $PG_DIR (a parent folder is not traversable): chmod o+x the parents"
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "initialising a PostgreSQL cluster in $PG_DIR/data"
    as_pg "'$bin/initdb' -D '$PG_DIR/data' -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256" \
      >"$PG_DIR/initdb.log" 2>&1 || { show_log "$PG_DIR/initdb.log"; fail "initdb failed"; }
    cat >>"$PG_DIR/data/postgresql.conf" <<CONF
# retiree-hub development settings
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 200
shared_buffers = 1GB
work_mem = 16MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
  fi
  if as_pg "'$bin/pg_ctl' -D '$PG_DIR/data' status" >/dev/null 2>&1; then
    say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    port_open "$PG_PORT" && fail "port $PG_PORT is taken by another program; set HUB_PG_PORT"
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "'$bin/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/postgres.log' -o '-p $PG_PORT' -w -t 60 start" >/dev/null \
      || { show_log "$PG_DIR/postgres.log"; fail "PostgreSQL did not start"; }
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'hub'")" != "1" ]; then
    psql_admin -c "CREATE ROLE hub LOGIN CREATEDB PASSWORD 'hub'" || fail "could not create the hub role"
  fi
  local database
  for database in retiree_hub retiree_hub_test retiree_hub_bench provincial_sim provincial_sim_test provincial_sim_bench; do
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
      psql_admin -c "CREATE DATABASE $database OWNER hub" || fail "could not create database $database"
    fi
  done
}

stop_postgres() {
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$PG_DIR/data/PG_VERSION" ] && as_pg "'$bin/pg_ctl' -D '$PG_DIR/data' status" >/dev/null 2>&1; then
    as_pg "'$bin/pg_ctl' -D '$PG_DIR/data' -m fast -w stop" >/dev/null && say "PostgreSQL stopped"
  else
    say "PostgreSQL not running"
  fi
}

# ---------------------------------------------------------------- Kafka
kafka_pid() { [ -f "$KAFKA_DIR/kafka.pid" ] && kill -0 "$(cat "$KAFKA_DIR/kafka.pid")" 2>/dev/null && cat "$KAFKA_DIR/kafka.pid"; }
kafka_java() { java -cp "$KAFKA_DIR/libs/*" -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
  -Dkafka.logs.dir="$KAFKA_DIR/logs" "$@"; }

resolve_kafka() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  local stamp; stamp="$(sha256sum "$ROOT/scripts/kafka/pom.xml" | cut -d' ' -f1)"
  [ -f "$KAFKA_DIR/libs/.stamp" ] && [ "$(cat "$KAFKA_DIR/libs/.stamp")" = "$stamp" ] && return 0
  say "resolving Apache Kafka from Maven Central (scripts/kafka/pom.xml)"
  rm -rf "$KAFKA_DIR/libs"; mkdir -p "$KAFKA_DIR/libs"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_DIR/libs" -DincludeScope=runtime >"$KAFKA_DIR/maven.log" 2>&1 \
    || { show_log "$KAFKA_DIR/maven.log"; fail "Maven could not resolve Kafka's artifacts"; }
  echo "$stamp" >"$KAFKA_DIR/libs/.stamp"
}

start_kafka() {
  resolve_kafka
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$KAFKA_DIR/data|g" \
    "$ROOT/scripts/kafka/server.properties.template" >"$KAFKA_DIR/server.properties"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    [ -f "$KAFKA_DIR/cluster.id" ] || kafka_java kafka.tools.StorageTool random-uuid | tail -n 1 >"$KAFKA_DIR/cluster.id"
    say "formatting Kafka storage (cluster $(cat "$KAFKA_DIR/cluster.id"))"
    kafka_java kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" -c "$KAFKA_DIR/server.properties" \
      --standalone >"$KAFKA_DIR/logs/format.log" 2>&1 || { show_log "$KAFKA_DIR/logs/format.log"; fail "formatting Kafka storage failed"; }
  fi
  if kafka_pid >/dev/null; then say "Kafka already running on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  port_open "$KAFKA_PORT" && fail "port $KAFKA_PORT is taken by another program; set HUB_KAFKA_PORT"
  port_open "$CONTROLLER_PORT" && fail "port $CONTROLLER_PORT is taken by another program; set HUB_KAFKA_CONTROLLER_PORT"
  say "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  local marker; marker=$(wc -l <"$KAFKA_DIR/logs/server.log" 2>/dev/null || echo 0)
  KAFKA_HEAP="${HUB_KAFKA_HEAP:--Xms512m -Xmx1g}"
  # shellcheck disable=SC2086  # the heap options are meant to split
  nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true -cp "$KAFKA_DIR/libs/*" \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/stdout.log" 2>&1 &
  echo $! >"$KAFKA_DIR/kafka.pid"
  local waited=0
  until tail -n +"$((marker + 1))" "$KAFKA_DIR/logs/server.log" 2>/dev/null | grep -q "Kafka Server started"; do
    kafka_pid >/dev/null || { show_log "$KAFKA_DIR/logs/stdout.log"; show_log "$KAFKA_DIR/logs/server.log"; fail "Kafka exited during start-up"; }
    [ "$waited" -ge 90 ] && { show_log "$KAFKA_DIR/logs/server.log"; fail "Kafka was not ready after 90 s"; }
    sleep 1; waited=$((waited + 1))
  done
  say "Kafka ready after ${waited}s"
}

stop_kafka() {
  local pid; pid="$(kafka_pid || true)"
  if [ -z "$pid" ]; then say "Kafka not running"; return 0; fi
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 30 ]; then say "Kafka did not stop in 30 s; killing it"; kill -KILL "$pid"; break; fi
    sleep 1; waited=$((waited + 1))
  done
  rm -f "$KAFKA_DIR/kafka.pid"
  say "Kafka stopped"
}

# ---------------------------------------------------------------- Prometheus
prom_pid() { [ -f "$PROM_DIR/prometheus.pid" ] && kill -0 "$(cat "$PROM_DIR/prometheus.pid")" 2>/dev/null && cat "$PROM_DIR/prometheus.pid"; }

start_prometheus() {
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    apt_install prometheus
    # The package may start its own service on 9090; the project runs its own instance instead.
    as_root sh -c 'service prometheus stop >/dev/null 2>&1 || true'
  fi
  mkdir -p "$PROM_DIR/data"
  cp "$ROOT/monitoring/prometheus/prometheus.local.yml" "$PROM_DIR/prometheus.yml"
  cp "$ROOT/monitoring/prometheus/alerts.yml" "$PROM_DIR/alerts.yml"
  promtool check config "$PROM_DIR/prometheus.yml" >"$PROM_DIR/check.log" 2>&1 \
    || { show_log "$PROM_DIR/check.log"; fail "the Prometheus configuration is invalid"; }
  if prom_pid >/dev/null; then
    kill -HUP "$(prom_pid)"; say "Prometheus already running on 127.0.0.1:$PROM_PORT (configuration reloaded)"; return 0
  fi
  port_open "$PROM_PORT" && fail "port $PROM_PORT is taken by another program; set HUB_PROMETHEUS_PORT"
  say "starting Prometheus on 127.0.0.1:$PROM_PORT"
  nohup prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$PROM_DIR/prometheus.log" 2>&1 &
  echo $! >"$PROM_DIR/prometheus.pid"
  local waited=0
  until curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; do
    prom_pid >/dev/null || { show_log "$PROM_DIR/prometheus.log"; fail "Prometheus exited during start-up"; }
    [ "$waited" -ge 30 ] && { show_log "$PROM_DIR/prometheus.log"; fail "Prometheus was not ready after 30 s"; }
    sleep 1; waited=$((waited + 1))
  done
  say "Prometheus ready"
}

stop_prometheus() {
  local pid; pid="$(prom_pid || true)"
  if [ -z "$pid" ]; then say "Prometheus not running"; return 0; fi
  kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  rm -f "$PROM_DIR/prometheus.pid"; say "Prometheus stopped"
}

# ---------------------------------------------------------------- Chromium (the browser tests)
# tests/browser/ drive Debian's Chromium through Playwright (its own browser download is not used); the CJK fonts
# make the console's Chinese render in screenshots and give axe-core real glyphs to measure contrast on.
start_browser() {
  local packages=(fonts-noto-cjk fonts-wqy-microhei)
  # HUB_CHROMIUM: another Chromium the tests should use instead (tests/browser/conftest.py reads it too).
  if [ -n "${HUB_CHROMIUM:-}" ] && [ -x "$HUB_CHROMIUM" ]; then :; else packages=(chromium "${packages[@]}"); fi
  apt_install "${packages[@]}"
  say "Chromium ready at ${HUB_CHROMIUM:-/usr/bin/chromium}"
}

# ---------------------------------------------------------------- fonts (printed documents)
# channels/printing/pdf.py draws every printed PDF (rosters, notices, ledgers) with WenQuanYi Micro Hei: the server
# side needs it, not only the browser tests.
start_fonts() {
  apt_install fonts-wqy-microhei
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || fail "fonts-wqy-microhei installed but its font file is missing"
  say "CJK font for printing ready"
}

# ---------------------------------------------------------------- commands
status() {
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$PG_DIR/data/PG_VERSION" ] && as_pg "'$bin/pg_ctl' -D '$PG_DIR/data' status" >/dev/null 2>&1; then
    say "PostgreSQL  running  127.0.0.1:$PG_PORT  data $PG_DIR/data"
  else say "PostgreSQL  stopped"; fi
  if kafka_pid >/dev/null; then say "Kafka       running  127.0.0.1:$KAFKA_PORT  pid $(kafka_pid)  data $KAFKA_DIR/data"
  else say "Kafka       stopped"; fi
  if prom_pid >/dev/null; then say "Prometheus  running  http://127.0.0.1:$PROM_PORT  pid $(prom_pid)"
  else say "Prometheus  stopped"; fi
}

environment() {
  echo "export HUB_DATABASE_URL=postgresql+psycopg://hub:hub@127.0.0.1:$PG_PORT/retiree_hub"
  echo "export HUB_TEST_DATABASE_URL=postgresql+psycopg://hub:hub@127.0.0.1:$PG_PORT/retiree_hub_test"
  echo "export HUB_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
}

command="${1:-status}"
target="${2:-all}"
case "$command:$target" in
  start:all) start_fonts; start_postgres; start_kafka; start_prometheus; start_browser ;;
  start:fonts) start_fonts ;;
  start:postgres | start:kafka | start:prometheus | start:browser) "start_$target" ;;
  stop:all) stop_prometheus; stop_kafka; stop_postgres ;;
  stop:postgres | stop:kafka | stop:prometheus) "stop_$target" ;;
  restart:all) stop_prometheus; stop_kafka; stop_postgres; start_postgres; start_kafka; start_prometheus ;;
  restart:postgres | restart:kafka | restart:prometheus) "stop_$target"; "start_$target" ;;
  status:*) status ;;
  env:*) environment ;;
  *) echo "usage: $0 start [all|postgres|kafka|prometheus|browser] | stop|restart [all|postgres|kafka|prometheus] | status | env" >&2; exit 2 ;;
esac
