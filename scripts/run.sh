#!/usr/bin/env bash
# make run: the web server and the job consumer side by side; Ctrl-C stops both cleanly.
set -uo pipefail
UV="$1"; PORT="${PORT:-8000}"
"$UV" run --frozen python manage.py run_huey --quiet &
consumer=$!
"$UV" run --frozen python manage.py runserver "127.0.0.1:${PORT}" --noreload &
web=$!
stop() {
  trap - INT TERM
  echo; echo "Stopping Piste..."
  kill -TERM "$web" "$consumer" 2>/dev/null
  wait "$web" "$consumer" 2>/dev/null
  exit 0
}
trap stop INT TERM
# Whichever process ends first (crash or Ctrl-C) brings the other one down.
wait -n "$web" "$consumer"
stop
