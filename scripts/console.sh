#!/usr/bin/env bash
# The staff console (console/): its npm packages, its API types, its production build and its unit tests.
#   deps   npm ci when package-lock.json changed since the last install
#   types  regenerate console/src/api/schema.d.ts from the API's OpenAPI document (openapi-typescript)
#   check  fail when the committed schema.d.ts differs from what the API generates now (make lint)
#   build  type-check and build console/dist when a source changed since the last build (make run, make test)
#   test   the console's unit tests (Vitest)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONSOLE="$ROOT/console"
HUB="$ROOT/.venv/bin/hub"
cd "$CONSOLE"

deps() {
  command -v npm >/dev/null || { echo "console: npm (Node 20) is required" >&2; exit 1; }
  local stamp=node_modules/.installed
  if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    echo "console: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
}

generate() {  # $1: where to write the TypeScript
  local document
  document="$(mktemp --suffix=.json)"
  "$HUB" openapi --out "$document"
  npx --no-install openapi-typescript "$document" -o "$1" >/dev/null
  rm -f "$document"
}

case "${1:-}" in
  deps) deps ;;
  types) deps; generate src/api/schema.d.ts; echo "console: src/api/schema.d.ts regenerated" ;;
  check)
    deps
    fresh="$(mktemp --suffix=.d.ts)"
    generate "$fresh"
    if ! diff -q "$fresh" src/api/schema.d.ts >/dev/null; then
      diff -u src/api/schema.d.ts "$fresh" | head -40 >&2 || true
      echo "console: src/api/schema.d.ts is stale: the API changed; run 'bash scripts/console.sh types' and commit it" >&2
      rm -f "$fresh"; exit 1
    fi
    rm -f "$fresh"; echo "console: API types up to date"
    ;;
  build)
    deps
    stamp=dist/.built
    newest="$(find src public index.html vite.config.ts tsconfig.json package-lock.json -type f -newer "$stamp" 2>/dev/null | head -1 || true)"
    if [[ ! -f $stamp || -n $newest ]]; then
      echo "console: building (vue-tsc + vite)"
      npm run --silent build
      touch "$stamp"
    else
      echo "console: build up to date"
    fi
    ;;
  test) deps; npx --no-install vitest run ;;
  *) echo "usage: $0 deps|types|check|build|test" >&2; exit 2 ;;
esac
