#!/usr/bin/env bash
# Runs the integration tests (t/*.t) against the freshly built module.
# With SAN=1 nginx runs with libasan preloaded (the module is built with
# -fsanitize=address,undefined) and any sanitizer report fails the run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

BUILD=${BUILD:-build}
# MODULE empty (set, but empty): waav is built into NGINX_BIN
MODULE=${MODULE-$BUILD/ngx_http_waav_module.so}
[[ -z $MODULE || $MODULE == /* ]] || MODULE=$top/$MODULE

export TEST_NGINX_BINARY=${NGINX_BIN:-/usr/sbin/nginx}
export TEST_NGINX_LOAD_MODULES=$MODULE
export TEST_NGINX_SERVROOT_BASE=$top/$BUILD/t

if [[ ${SAN:-0} == 1 ]]; then
    libasan=$(gcc -print-file-name=libasan.so)
    libubsan=$(gcc -print-file-name=libubsan.so)
    export WAAV_SAN_LOG_DIR=$top/$BUILD/san-reports
    rm -rf "$WAAV_SAN_LOG_DIR"
    mkdir -p "$WAAV_SAN_LOG_DIR"
    # nginx started as root runs its workers as nobody: their reports
    # (leaks found at a worker's exit) must be writable there too
    ((EUID != 0)) || chmod 1777 "$WAAV_SAN_LOG_DIR"
    # nginx itself is not instrumented; only the module is
    export WAAV_SAN_PRELOAD="$libasan $libubsan"
    export ASAN_OPTIONS="log_path=$WAAV_SAN_LOG_DIR/asan:detect_leaks=1:abort_on_error=0:detect_odr_violation=0"
    export LSAN_OPTIONS="suppressions=$top/scripts/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$WAAV_SAN_LOG_DIR/ubsan:print_stacktrace=1"
fi

jobs=${PROVE_JOBS:-$(nproc)}
status=0
prove -I t/lib -j "$jobs" -r "${@:-t/}" || status=$?

if [[ ${SAN:-0} == 1 ]] && compgen -G "$WAAV_SAN_LOG_DIR/*" >/dev/null; then
    echo "waav: sanitizer reports in $WAAV_SAN_LOG_DIR:" >&2
    head -n 60 "$WAAV_SAN_LOG_DIR"/* >&2
    exit 1
fi
exit $status
