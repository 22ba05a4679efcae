#!/usr/bin/env bash
# WaaV's dashboard (clients_sdk/dashboard) in Debian's chromium, headless,
# against waav: make run with every provider at the mock (as
# scripts/sdk-test.sh), the dashboard served
#   same-origin   by the same nginx at /dashboard/ (WAAV_DASHBOARD_DIR)
#   cross-origin  by a static server on another port (python3 -m
#                 http.server), with CORS_ALLOWED_ORIGINS set to its origin
# and t/dashboard/dashboard.test.mjs (playwright-core, installed from
# t/dashboard/package-lock.json into build/dashboard-test/) loading it,
# connecting to /ws, listing voices (TTS panel and both A/B sides), running
# an A/B comparison (two POST /speak), checking what the mock received and
# that both clips decode and play, and failing on any console error, page
# error, failed request or error answer.  Screenshots: build/dashboard.png
# (same origin) and build/dashboard-cross-origin.png.
#
#   scripts/dashboard-test.sh PATH    PATH: clients_sdk/dashboard of a WaaV
#                                     checkout or export, or the checkout
#                                     (or clients_sdk/typescript: its sibling)
#   make test-dashboard WAAV_SDK=PATH
#
#   WAAV_DASHBOARD_ORIGIN  same, cross or both (default both)
#   WAAV_DASHBOARD_AB      the A/B sides' providers (default deepgram,deepgram;
#                          the dashboard offers deepgram, elevenlabs, cartesia)
#   WAAV_DASHBOARD_PORT    waav's port (default 3001, the dashboard's default
#                          gateway, which it asks for /dag/templates at load)
#   WAAV_DASHBOARD_KEEP=1  keep waav's prefix (logs) after the run
set -euo pipefail

name=dashboard-test
WAAV_CLIENT_KEEP=${WAAV_DASHBOARD_KEEP:-0}
. "$(dirname "$0")/client-test-lib.sh"

dash=${1:-${WAAV_SDK:-}}
origin=${WAAV_DASHBOARD_ORIGIN:-both}
ab=${WAAV_DASHBOARD_AB:-deepgram,deepgram}

[[ -n $dash ]] || die "the dashboard's path is needed: scripts/dashboard-test.sh PATH or make test-dashboard WAAV_SDK=PATH"
# a checkout, its clients_sdk, or clients_sdk/typescript (as make test-sdk)
[[ -d $dash/clients_sdk/dashboard ]] && dash=$dash/clients_sdk/dashboard
[[ -d $dash/dashboard ]] && dash=$dash/dashboard
[[ ! -f $dash/index.html && -d $dash/../dashboard ]] && dash=$dash/../dashboard
[[ -f $dash/index.html && -f $dash/js/app.js ]] ||
    die "$dash has no index.html and js/app.js (give clients_sdk/dashboard or a WaaV checkout)"
[[ $origin =~ ^(same|cross|both)$ ]] || die "WAAV_DASHBOARD_ORIGIN must be same, cross or both"
[[ $ab =~ ^[a-z]+,[a-z]+$ ]] || die "WAAV_DASHBOARD_AB must be two providers: A,B"
chromium=
for c in /usr/lib/chromium/chromium /usr/bin/chromium; do
    [[ -x $c ]] && { chromium=$c; break; }
done
[[ -n $chromium ]] || die "Debian's chromium is needed (scripts/deps.sh chromium)"
command -v npm >/dev/null || die "node and npm are needed (Node >= 20)"
case ${AUTH_REQUIRED:-false} in
    true|1|yes|on) die "AUTH_REQUIRED is on: the test sets no API key" ;;
esac

# playwright-core, as locked, into build/dashboard-test (again when the
# lock changed)
pw=$top/build/dashboard-test
if ! cmp -s "$top/t/dashboard/package-lock.json" "$pw/package-lock.json" ||
   [[ ! -d $pw/node_modules/playwright-core ]]; then
    echo "$name: npm ci (playwright-core) in $pw"
    mkdir -p "$pw"
    cp "$top/t/dashboard/package.json" "$top/t/dashboard/package-lock.json" "$pw/"
    (cd "$pw" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
fi

# the dashboard, where nginx's workers (nobody, when started as root) and
# the static server can read it
chmod 711 "$work"
cp -r "$dash" "$work/dashboard"
chmod -R a+rX "$work/dashboard"

start_mock
port=${WAAV_DASHBOARD_PORT:-3001}
port_must_be_free "$port"
static_port=$(free_port)
urls=()
if [[ $origin != cross ]]; then
    export WAAV_DASHBOARD_DIR=$work/dashboard
    urls+=("same-origin=http://127.0.0.1:$port/dashboard/")
fi
if [[ $origin != same ]]; then
    export CORS_ALLOWED_ORIGINS=http://127.0.0.1:$static_port
    python3 -m http.server --bind 127.0.0.1 --directory "$work/dashboard" \
        "$static_port" >"$work/static.log" 2>&1 &
    extra_pids+=($!)
    wait_port "$static_port" 30 "$!" ||
        die "the static server did not start: $(cat "$work/static.log")"
    urls+=("cross-origin=http://127.0.0.1:$static_port/index.html")
fi
start_run "$port"

status=0
WAAV_PW_DIR=$pw CHROMIUM=$chromium DASHBOARD_URLS="${urls[*]}" \
GATEWAY=http://127.0.0.1:$port MOCK=http://127.0.0.1:$mock_port \
PROVIDER_KEY=${DEEPGRAM_API_KEY:-} AB=$ab SHOTS=$top/build/dashboard \
    node "$top/t/dashboard/dashboard.test.mjs" || status=$?

run_log_clean || status=1
((status == 0)) || { echo "--- make run's output (tail)"; tail -n 40 "$work/run.log"; }
exit $status
