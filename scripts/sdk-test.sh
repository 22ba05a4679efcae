#!/usr/bin/env bash
# WaaV's own TypeScript SDK tests against waav: the two /ws tests of
# clients_sdk/typescript/tests/integration/websocket.test.ts (vitest), with
# waav started by `make run` on port 3001 (the test's hard-coded
# ws://localhost:3001) and every provider pointed at the project's mock
# (t/mock/waav-mock.pl, keys and *_BASE_URL as Waav::Run::mock_env sets
# them for the tests).
#
#   scripts/sdk-test.sh PATH      PATH: clients_sdk/typescript of a WaaV
#                                 checkout or export, or the checkout itself
#   make test-sdk WAAV_SDK=PATH
#
# Getting the SDK: a WaaV checkout (github.com/BudEcosystem/WaaV), or from a
# bare mirror: git --git-dir=MIRROR archive HEAD clients_sdk/typescript |
# tar -x -C /tmp/waav-sdk.  `npm ci` runs there when node_modules is missing.
#
#   WAAV_SDK_PORT    another port than 3001 (the test file is then run from
#                    a copy with its BASE_URL changed; 3001 runs it as is)
#   WAAV_SDK_FILTER  vitest -t pattern (default "/ws": the two /ws tests;
#                    "." runs the file's three, /realtime included)
#   WAAV_SDK_KEEP=1  keep waav's prefix (logs) after the run
#   Any other variable make run reads (AUTH_*, MAX_CONNECTIONS_PER_IP, ...)
#   passes through; AUTH_REQUIRED must stay off: the tests send no token.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
sdk=${1:-${WAAV_SDK:-}}
port=${WAAV_SDK_PORT:-3001}
filter=${WAAV_SDK_FILTER:-/ws}
test_file=tests/integration/websocket.test.ts

die() { echo "sdk-test: $*" >&2; exit 1; }

[[ -n $sdk ]] || die "the SDK's path is needed: scripts/sdk-test.sh PATH or make test-sdk WAAV_SDK=PATH"
[[ -d $sdk/clients_sdk/typescript ]] && sdk=$sdk/clients_sdk/typescript
sdk=$(cd "$sdk" && pwd)
[[ -f $sdk/$test_file && -f $sdk/package.json ]] ||
    die "$sdk has no $test_file (give clients_sdk/typescript or a WaaV checkout)"
command -v npx >/dev/null || die "node and npm are needed (Node >= 18)"
[[ $port =~ ^[0-9]+$ ]] || die "WAAV_SDK_PORT must be a port number"
case ${AUTH_REQUIRED:-false} in
    true|1|yes|on) die "AUTH_REQUIRED is on: the SDK's /ws tests send no token" ;;
esac

# nothing may already answer on the port: the test would talk to it
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "127.0.0.1:$port is in use (another make run?); stop it or set WAAV_SDK_PORT"
fi

if [[ ! -x $sdk/node_modules/.bin/vitest ]]; then
    echo "sdk-test: npm ci in $sdk"
    (cd "$sdk" && npm ci --no-audit --no-fund >/dev/null)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/waav-sdk-test.XXXXXX")
mock_pid= run_pid= copy=
cleanup() {
    local rc=$?
    set +e
    # make run's session (make, nginx's master and workers), then the mock
    if [[ -n $run_pid ]]; then kill -TERM -- "-$run_pid"; wait "$run_pid"; fi 2>/dev/null
    if [[ -n $mock_pid ]]; then kill -TERM "$mock_pid"; wait "$mock_pid"; fi 2>/dev/null
    [[ -n $copy ]] && rm -f "$copy"
    if [[ ${WAAV_SDK_KEEP:-0} == 1 ]]; then
        echo "sdk-test: waav's prefix and logs kept in $work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {   # port, seconds, pid that must stay alive
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# the provider mock
mock_port=$(perl -I"$top/t/lib" -MWaav::Port -e 'print Waav::Port::free_port()')
perl "$top/t/mock/waav-mock.pl" daemon -l "http://127.0.0.1:$mock_port" \
    >"$work/mock.log" 2>&1 &
mock_pid=$!
wait_port "$mock_port" 30 "$mock_pid" || die "the mock did not start: $(cat "$work/mock.log")"

# every provider's key and base URL at the mock, as the tests set them
while IFS= read -r -d '' kv; do
    export "${kv?}"
done < <(TEST_NGINX_MOCK_PORT=$mock_port perl -I"$top/t/lib" -MWaav::Run -e \
             'my %e = Waav::Run::mock_env(); print "$_=$e{$_}\0" for sort keys %e')

# make run, in a session of its own (so that its nginx stops with it)
echo "sdk-test: make run on 127.0.0.1:$port (log: $work/run.log)"
WAAV_RUN_PREFIX=$work/run setsid make -C "$top" --no-print-directory run \
    HOST=127.0.0.1 PORT="$port" >"$work/run.log" 2>&1 &
run_pid=$!
# the first make run builds the module first
wait_port "$port" 600 "$run_pid" || die "make run did not listen on $port: $(tail -n 30 "$work/run.log")"

file=$test_file
if [[ $port != 3001 ]]; then
    copy=$sdk/tests/integration/websocket.port$port.test.ts
    sed "s|ws://localhost:3001|ws://localhost:$port|" "$sdk/$test_file" >"$copy"
    file=${copy#"$sdk"/}
fi

status=0
(cd "$sdk" && npx vitest run --config vitest.integration.config.ts \
     --reporter=verbose "$file" -t "$filter") || status=$?

# what nginx logged: no crash, no alert (as t/lib/Waav/Run.pm checks)
log=$work/run/logs/error.log
if grep -E '\[(alert|crit|emerg)\]|exited on signal|AddressSanitizer|runtime error:' \
        "$work/run.log" ${log:+"$log"} 2>/dev/null | head -n 20 | grep .; then
    echo "sdk-test: nginx logged a crash or an alert (above)" >&2
    status=1
fi
((status == 0)) || { echo "--- make run's output (tail)"; tail -n 40 "$work/run.log"; }
exit $status
