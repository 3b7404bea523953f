#!/bin/sh
# End-to-end check of docker/compose.postgres.yaml, kept out of `make test` (building the images alone
# takes minutes). It builds and starts PostgreSQL, two vizd replicas and haproxy as the compose project
# vizd-compose-test, on loopback ports of its own (VIZD_PORT 16006 for the balancer, VIZD1_PORT 16007 and
# VIZD2_PORT 16008 for the replicas, unless set), then checks that
#   1. points written through the balancer are read back, the same, from each replica directly, and
#      one-point writes without a step, spread by the balancer over both replicas, get steps 0, 1, 2, 3;
#   2. the balancer sent requests to both replicas (its log names the replica of each request);
#   3. an event stream opened on replica 2, and one opened through the balancer, see a write made
#      through replica 1 (PostgreSQL NOTIFY between the replicas; nothing buffered by haproxy);
#   4. with replica 1 stopped, the balancer still answers every read and write, and replica 1, started
#      again, serves what was written while it was down.
# The containers, network and volume are removed at the end; KEEP=1 leaves them running.
#   sh docker/test-compose.sh
set -eu
cd "$(dirname "$0")/.."

export VIZD_PORT="${VIZD_PORT:-16006}" VIZD1_PORT="${VIZD1_PORT:-16007}" VIZD2_PORT="${VIZD2_PORT:-16008}"
LB="http://127.0.0.1:$VIZD_PORT"
R1="http://127.0.0.1:$VIZD1_PORT"
R2="http://127.0.0.1:$VIZD2_PORT"
RUN="compose-test"
tmp=$(mktemp -d)
start=$(date +%s)

# Compose v2 (`docker compose`) where installed, else v1 (`docker-compose`, Debian 12's package).
if docker compose version >/dev/null 2>&1; then compose_cmd="docker compose"; else compose_cmd="docker-compose"; fi
compose() { $compose_cmd -p vizd-compose-test -f docker/compose.postgres.yaml "$@"; }

say() { printf '[%4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
fail() {
    say "FAIL: $*"
    compose logs --tail=40 >&2 || true
    exit 1
}
cleanup() {
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
    if [ "${KEEP:-0}" = 1 ]; then say "left running (KEEP=1): $compose_cmd -p vizd-compose-test -f docker/compose.postgres.yaml down -v"
    else compose down -v >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_healthy SERVICE...: until docker reports each service's container healthy (at most 180 s).
wait_healthy() {
    for service in "$@"; do
        i=0
        until [ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$service")" 2>/dev/null)" = healthy ]; do
            i=$((i + 1))
            [ "$i" -le 180 ] || fail "$service not healthy after 180 s"
            sleep 1
        done
    done
}

# post URL JSON: one write; fails the check unless it is answered 200.
post() {
    code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' -H 'Content-Type: application/json' --data "$2" "$1/api/v1/write") \
        || fail "POST $1: no answer"
    [ "$code" = 200 ] || fail "POST $1: $code $(cat "$tmp/answer")"
}

# expect_points URL TAG STEPS VALUES: the tag's every point on URL has exactly these steps and values.
expect_points() {
    curl -fsS "$1/api/v1/scalars?run=$RUN&tag=$2&points=0" > "$tmp/scalars" || fail "GET scalars $2 from $1"
    python3 - "$tmp/scalars" "$3" "$4" <<'PY' || fail "$2 on $1: $(cat "$tmp/scalars")"
import json, sys
points = json.load(open(sys.argv[1]))["series"][0]["points"]
steps, values = [p[0] for p in points], [p[2] for p in points]
sys.exit(0 if (steps, values) == (json.loads(sys.argv[2]), json.loads(sys.argv[3])) else 1)
PY
}

# wait_for FILE TEXT: until FILE holds TEXT (at most 10 s).
wait_for() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 100 ] || fail "no \"$2\" in $1 after 10 s: $(cat "$1")"
        sleep 0.1
    done
}

say "building the images ($compose_cmd)"
compose build -q > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "compose build"; }
say "starting postgres, vizd1, vizd2, lb"
compose up -d >/dev/null 2>&1 || fail "compose up"
wait_healthy postgres vizd1 vizd2 lb
say "all four healthy"

post "$LB" '{"run": "'$RUN'", "scalars": [{"tag": "loss", "steps": [0, 1, 2], "values": [0.5, 0.25, 0.125]}]}'
expect_points "$R1" loss '[0, 1, 2]' '[0.5, 0.25, 0.125]'
expect_points "$R2" loss '[0, 1, 2]' '[0.5, 0.25, 0.125]'
say "1. write through the balancer: read back the same from vizd1 and vizd2"
for value in 1 2 3 4; do
    post "$LB" '{"run": "'$RUN'", "scalars": [{"tag": "count", "value": '$value'}]}'
done
expect_points "$R1" count '[0, 1, 2, 3]' '[1, 2, 3, 4]'
expect_points "$R2" count '[0, 1, 2, 3]' '[1, 2, 3, 4]'
say "   4 writes without a step through the balancer: steps 0..3 on both replicas"

compose logs lb > "$tmp/lb.log" 2>&1
n1=$(grep -c 'replicas/vizd1' "$tmp/lb.log" || true)
n2=$(grep -c 'replicas/vizd2' "$tmp/lb.log" || true)
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || fail "the balancer did not use both replicas (vizd1 $n1, vizd2 $n2)"
say "2. the balancer's log: $n1 requests to vizd1, $n2 to vizd2"

curl -sN --max-time 20 "$R2/api/v1/events" > "$tmp/events2" &
curl -sN --max-time 20 "$LB/api/v1/events" > "$tmp/events-lb" &
wait_for "$tmp/events2" ': connected'
wait_for "$tmp/events-lb" ': connected'
post "$R1" '{"run": "'$RUN'", "scalars": [{"tag": "live", "step": 7, "value": 1}]}'
wait_for "$tmp/events2" '"live"'
wait_for "$tmp/events-lb" '"live"'
say "3. a write through vizd1 reached the event streams on vizd2 and through the balancer"
for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done

compose stop vizd1 >/dev/null 2>&1
say "4. vizd1 stopped"
slowest=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    t0=$(date +%s%N)
    curl -fsS -o /dev/null "$LB/api/v1/runs" || fail "GET /api/v1/runs through the balancer with vizd1 stopped"
    post "$LB" '{"run": "'$RUN'", "scalars": [{"tag": "while_down", "step": '$i', "value": '$i'}]}'
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -le "$slowest" ] || slowest=$ms
done
expect_points "$R2" while_down '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]' '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'
say "   10 reads and 10 writes through the balancer answered (slowest read+write: $slowest ms), on vizd2"
compose start vizd1 >/dev/null 2>&1
wait_healthy vizd1
expect_points "$R1" while_down '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]' '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'
say "   vizd1 started again: serves the 10 points written while it was down"
say "PASS"
