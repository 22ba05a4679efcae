#!/usr/bin/env bash
# WaaV's own TypeScript SDK tests against waav, with waav started by
# `make run` on port 3001 (the tests' hard-coded localhost:3001) and every
# provider pointed at the project's mock (t/mock/waav-mock.pl, keys and
# *_BASE_URL as Waav::Run::mock_env sets them for the tests):
#   ws    the two /ws tests of tests/integration/websocket.test.ts
#   api   the five of tests/api/gateway.test.ts (GET /, GET /voices,
#         /speak's empty text, /livekit/token, /sip/hooks); LiveKit is
#         configured (LIVEKIT_API_KEY/SECRET, test values unless set) so
#         that the token test takes its success path
#
#   scripts/sdk-test.sh PATH      PATH: clients_sdk/typescript of a WaaV
#                                 checkout or export, or the checkout itself
#   make test-sdk WAAV_SDK=PATH
#
# Getting the SDK: a WaaV checkout (github.com/BudEcosystem/WaaV), or from a
# bare mirror: git --git-dir=MIRROR archive HEAD clients_sdk/typescript |
# tar -x -C /tmp/waav-sdk.  `npm ci` runs there when node_modules is missing.
#
#   WAAV_SDK_SUITE   ws, api or all (default all: both files)
#   WAAV_SDK_PORT    another port than 3001 (the test files are then run
#                    from copies with their URLs changed; 3001 runs them as is)
#   WAAV_SDK_FILTER  vitest -t pattern for the ws suite (default "/ws": the
#                    two /ws tests; "." runs the file's three, /realtime
#                    included)
#   WAAV_SDK_KEEP=1  keep waav's prefix (logs) after the run
#   Any other variable make run reads (AUTH_*, MAX_CONNECTIONS_PER_IP, ...)
#   passes through; AUTH_REQUIRED must stay off: the tests send no token.
set -euo pipefail

name=sdk-test
WAAV_CLIENT_KEEP=${WAAV_SDK_KEEP:-0}
. "$(dirname "$0")/client-test-lib.sh"

sdk=${1:-${WAAV_SDK:-}}
port=${WAAV_SDK_PORT:-3001}
filter=${WAAV_SDK_FILTER:-/ws}
suite=${WAAV_SDK_SUITE:-all}
ws_file=tests/integration/websocket.test.ts
api_file=tests/api/gateway.test.ts

[[ -n $sdk ]] || die "the SDK's path is needed: scripts/sdk-test.sh PATH or make test-sdk WAAV_SDK=PATH"
[[ -d $sdk/clients_sdk/typescript ]] && sdk=$sdk/clients_sdk/typescript
[[ -d $sdk/typescript && ! -d $sdk/tests ]] && sdk=$sdk/typescript   # clients_sdk
sdk=$(cd "$sdk" && pwd)
case $suite in
    ws)  files=("$ws_file") ;;
    api) files=("$api_file") ;;
    all) files=("$ws_file" "$api_file") ;;
    *)   die "WAAV_SDK_SUITE must be ws, api or all" ;;
esac
for f in "${files[@]}"; do
    [[ -f $sdk/$f && -f $sdk/package.json ]] ||
        die "$sdk has no $f (give clients_sdk/typescript or a WaaV checkout)"
done
command -v npx >/dev/null || die "node and npm are needed (Node >= 18)"
[[ $port =~ ^[0-9]+$ ]] || die "WAAV_SDK_PORT must be a port number"
case ${AUTH_REQUIRED:-false} in
    true|1|yes|on) die "AUTH_REQUIRED is on: the SDK's tests send no token" ;;
esac
port_must_be_free "$port"

if [[ ! -x $sdk/node_modules/.bin/vitest ]]; then
    echo "$name: npm ci in $sdk"
    (cd "$sdk" && npm ci --no-audit --no-fund >/dev/null)
fi

start_mock
# the token test's success path (a token for room test_room)
export LIVEKIT_API_KEY=${LIVEKIT_API_KEY:-waav-sdk-test}
export LIVEKIT_API_SECRET=${LIVEKIT_API_SECRET:-waav-sdk-test-secret-0123456789abcdef}
start_run "$port"

# tf: the file as is on 3001, else a copy (removed at exit) with the port
# changed
test_file() {
    tf=$1
    [[ $port == 3001 ]] && return
    tf=${1%.test.ts}.port$port.test.ts
    sed "s|localhost:3001|localhost:$port|g" "$sdk/$1" >"$sdk/$tf"
    cleanup_files+=("$sdk/$tf")
}

status=0
if [[ $suite != api ]]; then
    test_file "$ws_file"
    echo "$name: $ws_file (-t '$filter')"
    (cd "$sdk" && npx vitest run --config vitest.integration.config.ts \
         --reporter=verbose "$tf" -t "$filter") || status=$?
fi
if [[ $suite != ws ]]; then
    test_file "$api_file"
    echo "$name: $api_file"
    (cd "$sdk" && npx vitest run --config vitest.api.config.ts \
         --reporter=verbose "$tf") || status=$?
fi

run_log_clean || status=1
((status == 0)) || { echo "--- make run's output (tail)"; tail -n 40 "$work/run.log"; }
exit $status
