#!/usr/bin/env bash
# Smoke test of `make run` (the acceptance item "a fresh clone serves /healthz and the login page within
# 90 s on SQLite, and declarations from the simulator appear within 60 s after that").
#
#   bash scripts/smoke-run.sh            # in a checkout (a fresh clone in CI); PORT / SIMULATOR_PORT honoured
#
# Starts `make run` in its own process group (log: var/smoke-run.log), waits for /healthz to answer 200
# (90 s), checks the sign-in page, waits for the first declaration in the SQLite database (60 s), prints
# the timings, and always stops the whole process group (make, honcho; honcho stops web, worker, beat and
# simulator), failing if any process it started outlives that.
set -uo pipefail

PORT="${PORT:-8000}"
SIMULATOR_PORT="${SIMULATOR_PORT:-8765}"
HEALTHZ_TIMEOUT="${SMOKE_HEALTHZ_TIMEOUT:-90}"
DECLARATION_TIMEOUT="${SMOKE_DECLARATION_TIMEOUT:-60}"
BASE_URL="http://127.0.0.1:${PORT}"
LOG=var/smoke-run.log
export PORT SIMULATOR_PORT

pgid=""

log_tail() {
  echo "--- last lines of $LOG ---" >&2
  tail -n 40 "$LOG" >&2 2>/dev/null || true
  echo "---" >&2
}

fail() {
  echo "smoke-run: FAIL: $*" >&2
  log_tail
  exit 1
}

group_alive() { [ -n "$pgid" ] && kill -0 -- "-$pgid" 2>/dev/null; }

# honcho starts each Procfile process in a session of its own, so they are not in our process group:
# remember every descendant of make seen while it runs, to check that none outlives the shutdown.
known_pids=""
descendants() {
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { for (p in parent) { q = parent[p]; while (q > 1) { if (q == root) { print p; break } q = parent[q] } } }'
}
remember_tree() {
  [ -n "$pgid" ] || return 0
  known_pids=$(printf '%s\n' $known_pids $(descendants "$pgid") | sort -un)
}
alive_of() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done
}

stop_group() {
  [ -n "$pgid" ] || return 0
  local strays="" status=0
  remember_tree
  if group_alive; then
    # SIGTERM to make and honcho, as Ctrl-C of `make run` would (honcho then stops web, worker, beat and
    # simulator with SIGTERM, and SIGKILLs whichever is still up after 5 s).
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      group_alive || break
      sleep 0.5
    done
    if group_alive; then
      echo "smoke-run: process group $pgid still alive after 20 s, sending SIGKILL" >&2
      kill -KILL -- "-$pgid" 2>/dev/null || true
      status=1
    fi
  fi
  wait "$pgid" 2>/dev/null || true
  pgid=""
  # shellcheck disable=SC2086
  for _ in $(seq 1 20); do
    strays=$(alive_of $known_pids)
    [ -z "$strays" ] && break
    sleep 0.5
  done
  if [ -n "$strays" ]; then
    echo "smoke-run: FAIL: processes outlived make run, killing them:" >&2
    # shellcheck disable=SC2086
    ps -o pid=,args= -p "$(echo $strays | tr ' ' ',')" >&2 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -KILL $strays 2>/dev/null || true
    status=1
  fi
  return $status
}
trap 'stop_group || exit 1' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v curl >/dev/null || fail "curl is needed"
mkdir -p var
: >"$LOG"

# Something already answering on the port would make the checks below pass for the wrong program.
if curl -s -o /dev/null --max-time 2 "$BASE_URL/healthz"; then
  fail "something already answers on $BASE_URL: stop it or set PORT"
fi

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

started=$(now)
# setsid: `make run` leads a new session and process group (its pid is the group id), so the whole tree
# can be signalled at once and the group is independent of the caller's terminal.
setsid make run >"$LOG" 2>&1 </dev/null &
make_pid=$!
# setsid() runs in the child: wait until it has, so the group exists before we test or signal it.
for _ in $(seq 1 50); do
  [ "$(ps -o pgid= -p "$make_pid" 2>/dev/null | tr -d ' ')" = "$make_pid" ] && break
  kill -0 "$make_pid" 2>/dev/null || break
  sleep 0.1
done
pgid=$make_pid
echo "smoke-run: make run started (process group $pgid, PORT=$PORT, SIMULATOR_PORT=$SIMULATOR_PORT, log $LOG)"

# 1. /healthz answers 200 (database and broker answer) within HEALTHZ_TIMEOUT seconds.
healthz_at=""
deadline=$(($(date +%s) + HEALTHZ_TIMEOUT))
while [ "$(date +%s)" -lt "$deadline" ]; do
  remember_tree
  kill -0 "$make_pid" 2>/dev/null || fail "make run exited before /healthz answered"
  code=$(curl -s -o var/smoke-healthz.json -w '%{http_code}' --max-time 5 "$BASE_URL/healthz" || true)
  if [ "$code" = "200" ]; then
    healthz_at=$(since "$started")
    healthz_ts=$(now)
    break
  fi
  sleep 1
done
[ -n "$healthz_at" ] || fail "/healthz did not answer 200 within ${HEALTHZ_TIMEOUT} s (last: ${code:-none} $(cat var/smoke-healthz.json 2>/dev/null))"
echo "smoke-run: seconds to /healthz 200: $healthz_at (limit $HEALTHZ_TIMEOUT)"

# 2. The sign-in page answers 200 with the sign-in form.
login_body=$(curl -s --max-time 10 -w '\n%{http_code}' "$BASE_URL/accounts/login/") || fail "/accounts/login/ did not answer"
login_code=${login_body##*$'\n'}
[ "$login_code" = "200" ] || fail "/accounts/login/ answered $login_code"
for needle in '<form method="post"' 'name="username"' 'name="password"' 'name="csrfmiddlewaretoken"' 'Sign in'; do
  grep -qF -- "$needle" <<<"$login_body" || fail "/accounts/login/ has no $needle"
done
echo "smoke-run: /accounts/login/: 200 with the sign-in form"

# 3. Declarations from the simulator reach the SQLite database within DECLARATION_TIMEOUT seconds.
count_declarations() {
  .venv/bin/python manage.py shell -c \
    "from declarations.models import Declaration; print(Declaration.objects.count())" 2>/dev/null | tail -n 1
}
declaration_at=""
count=0
deadline=$(($(date +%s) + DECLARATION_TIMEOUT))
while [ "$(date +%s)" -lt "$deadline" ]; do
  remember_tree
  kill -0 "$make_pid" 2>/dev/null || fail "make run exited before any declaration arrived"
  count=$(count_declarations)
  if [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -gt 0 ]; then
    declaration_at=$(since "$healthz_ts")
    break
  fi
  sleep 2
done
[ -n "$declaration_at" ] || fail "no declaration in the database within ${DECLARATION_TIMEOUT} s after /healthz (count: ${count:-?})"
total=$(since "$started")

echo "smoke-run: seconds from /healthz to first declaration: $declaration_at (limit $DECLARATION_TIMEOUT)"
echo "smoke-run: declarations: $count (seconds since make run: $total)"

stop_group || exit 1
echo "smoke-run: all processes stopped"
echo "smoke-run: OK"
