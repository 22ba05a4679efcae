# Sourced by scripts/sdk-test.sh and scripts/dashboard-test.sh: what both
# need to run a WaaV client against waav.  The provider mock
# (t/mock/waav-mock.pl) on a free port, every provider's key and base URL at
# it (as Waav::Run::mock_env sets them for the tests), `make run` in a
# session of its own, and a cleanup that stops what was started.
#
# The sourcing script sets `name` (its messages' prefix) first; it may add
# processes to stop to the `extra_pids` array.  WAAV_CLIENT_KEEP=1 (or the
# script's own *_KEEP variable mapped onto it) keeps the work directory.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/waav-$name.XXXXXX")
mock_pid= run_pid= mock_port=
extra_pids=()
cleanup_files=()

die() { echo "$name: $*" >&2; exit 1; }

client_cleanup() {
    local rc=$? pid
    set +e
    # make run's session (make, nginx's master and workers), then the rest
    if [[ -n $run_pid ]]; then kill -TERM -- "-$run_pid"; wait "$run_pid"; fi 2>/dev/null
    for pid in "${extra_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if [[ -n $mock_pid ]]; then kill -TERM "$mock_pid"; wait "$mock_pid"; fi 2>/dev/null
    ((${#cleanup_files[@]} == 0)) || rm -f "${cleanup_files[@]}"
    if [[ ${WAAV_CLIENT_KEEP:-0} == 1 ]]; then
        echo "$name: waav's prefix and logs kept in $work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap client_cleanup EXIT
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

# nothing may already answer on the port: the client would talk to it
port_must_be_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        die "127.0.0.1:$1 is in use (another make run?); stop it or choose another port"
    fi
}

free_port() {
    perl -I"$top/t/lib" -MWaav::Port -e 'print Waav::Port::free_port()'
}

# the provider mock; exports every provider's key and base URL at it
start_mock() {
    local kv
    mock_port=$(free_port)
    perl "$top/t/mock/waav-mock.pl" daemon -l "http://127.0.0.1:$mock_port" \
        >"$work/mock.log" 2>&1 &
    mock_pid=$!
    wait_port "$mock_port" 30 "$mock_pid" ||
        die "the mock did not start: $(cat "$work/mock.log")"
    while IFS= read -r -d '' kv; do
        export "${kv?}"
    done < <(TEST_NGINX_MOCK_PORT=$mock_port perl -I"$top/t/lib" -MWaav::Run -e \
                 'my %e = Waav::Run::mock_env(); print "$_=$e{$_}\0" for sort keys %e')
}

# make run on 127.0.0.1:PORT with the caller's environment, in a session
# of its own (so that its nginx stops with it)
start_run() {
    echo "$name: make run on 127.0.0.1:$1 (log: $work/run.log)"
    WAAV_RUN_PREFIX=$work/run setsid make -C "$top" --no-print-directory run \
        HOST=127.0.0.1 PORT="$1" >"$work/run.log" 2>&1 &
    run_pid=$!
    # the first make run builds the module first
    wait_port "$1" 600 "$run_pid" ||
        die "make run did not listen on $1: $(tail -n 30 "$work/run.log")"
}

# what nginx logged: no crash, no alert (as t/lib/Waav/Run.pm checks);
# fails when it did
run_log_clean() {
    local log=$work/run/logs/error.log
    if grep -E '\[(alert|crit|emerg)\]|exited on signal|AddressSanitizer|runtime error:' \
            "$work/run.log" "$log" 2>/dev/null | head -n 20 | grep .; then
        echo "$name: nginx logged a crash or an alert (above)" >&2
        return 1
    fi
}
