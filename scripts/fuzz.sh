#!/usr/bin/env bash
# schemathesis against the live server with the checked-in schema (issue 5 acceptance).
#
#   make fuzz            # or: bash scripts/fuzz.sh   (needs PostgreSQL; MAX_EXAMPLES, FUZZ_PORT honoured)
#
# Builds a fresh database (activesupport_fuzz) with two organisations' data, creates a staff-wide and a
# customer API key, starts gunicorn on a free port, and runs schemathesis with every response check
# that concerns the server (no 5xx, status codes, content types, response schemas) for each key.
# Prints schemathesis' summary; exits non-zero if any check failed.
set -euo pipefail

BIN=.venv/bin
PORT="${FUZZ_PORT:-8799}"
MAX_EXAMPLES="${MAX_EXAMPLES:-30}"
BASE="${FUZZ_DATABASE_BASE:-postgres://postgres@127.0.0.1:5432}"
export DATABASE_URL="$BASE/activesupport_fuzz"
export CELERY_BROKER_URL=memory://
export API_THROTTLE_USER=100000/minute API_THROTTLE_ANON=100000/minute
export ALLOWED_HOSTS=127.0.0.1,localhost
export ACTIVESUPPORT_VAR_DIR="$(pwd)/var/fuzz"
mkdir -p "$ACTIVESUPPORT_VAR_DIR" build

"$BIN/python" - <<PY
import psycopg
with psycopg.connect("$BASE/postgres", autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "activesupport_fuzz" WITH (FORCE)')
    conn.execute('CREATE DATABASE "activesupport_fuzz"')
PY
"$BIN/python" manage.py migrate --noinput -v 0
"$BIN/python" manage.py shell --no-imports -c "from activesupport.tests.api_world import build_world; build_world()" >/dev/null
STAFF_KEY=$("$BIN/python" manage.py api_client create --name fuzz-staff --staff --write --days 1 2>/dev/null)
CUSTOMER_KEY=$("$BIN/python" manage.py api_client create --name fuzz-customer --organisation \
  "$("$BIN/python" manage.py shell --no-imports -c "from accounts.models import Organisation; print(Organisation.objects.get(name='alpha').cas_tenant_id)")" \
  --write --days 1 2>/dev/null)

"$BIN/gunicorn" activesupport.wsgi --bind "127.0.0.1:$PORT" --workers 2 --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# One worker: with two threads, CPython 3.11.7's ast module (hypothesis parses lambdas with it) fails now
# and then with "AST constructor recursion depth mismatch", a schemathesis run-time error, not ours.
status=0
for who in staff customer; do
  key=$([ "$who" = staff ] && echo "$STAFF_KEY" || echo "$CUSTOMER_KEY")
  echo "=== schemathesis as the $who key ==="
  "$BIN/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Bearer $key" --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" \
    --phases examples,coverage,fuzzing \
    --suppress-health-check all --workers 1 --no-color \
    2>&1 | tee "build/fuzz-$who.log" | tail -25 || status=1
done
exit $status
