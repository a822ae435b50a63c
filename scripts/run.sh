#!/usr/bin/env bash
# Sets up (idempotently), starts a local Rasa server unless RASA_URL already answers, and runs
# the bot with long polling (or a webhook when WEBHOOK_URL is set). Configuration: .env
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
set -a; [ -f .env ] && . ./.env; set +a
export RASA_TELEMETRY_ENABLED=false
RASA_URL=${RASA_URL:-http://127.0.0.1:5005}

rasa_pid=""
bot_pid=""
# On exit or a signal, stop the bot (it finishes its updates and writes its log) and Rasa.
cleanup() {
  for pid in $bot_pid $rasa_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! curl -fsS "$RASA_URL/" >/dev/null 2>&1; then
  port=$(printf '%s' "$RASA_URL" | sed -E 's#^.*:([0-9]+)/?$#\1#')
  [[ "$port" =~ ^[0-9]+$ ]] || port=5005
  mkdir -p var
  echo "[run] starting the local Rasa server on port $port (log: var/rasa.log)"
  .venv/bin/kelisim nlu serve --port "$port" >var/rasa.log 2>&1 &
  rasa_pid=$!
  for _ in $(seq 1 90); do
    curl -fsS "$RASA_URL/" >/dev/null 2>&1 && break
    kill -0 "$rasa_pid" 2>/dev/null || { echo "[run] Rasa did not start; see var/rasa.log" >&2; exit 1; }
    sleep 2
  done
fi
.venv/bin/kelisim run &
bot_pid=$!
wait "$bot_pid"
