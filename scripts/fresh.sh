#!/usr/bin/env bash
# make fresh: does the README work on a Debian 12 machine that has nothing?
#
# 1. A clean Debian 12 root (mmdebstrap, minbase, from deb.debian.org) with
#    the repository in /root/waav (git archive of HEAD).  In it, as README's
#    "Start here" says: apt-get install make; make test (FRESH_TESTS); make
#    run, then GET / and a /speak with the `local` provider (no key); then
#    make deb.
# 2. A second clean root: that .deb next to Debian's nginx, installed by
#    the Dockerfile's steps (docker/install.sh, docker/entrypoint.sh): nginx
#    -t of Debian's own configuration with the module enabled; Debian's nginx
#    with conf/examples/debian-site.conf (the package's /etc/nginx/waav
#    snippets), GET / and /speak; the entrypoint's configuration, GET / and
#    /speak on it; then apt-get remove of the package and nginx -t again,
#    and purge.
#
#   FRESH_TESTS   quick (default): make build and a few integration files
#                 (FRESH_T; about 3 minutes where make unit's 25 programs
#                 take 20 on a loaded 2-core machine); full: make test
#                 (unit and every integration file); none: no tests
#   FRESH_DIR     where the roots are made (build/fresh; removed first)
#   FRESH_MIRROR  Debian mirror (http://deb.debian.org/debian)
#   FRESH_KEEP=1  keep the roots afterwards, and the base root's tarball
#                 (FRESH_DIR/base.tar)
#   FRESH_BASE    a tarball of that base root to start from instead of
#                 running mmdebstrap (a kept base.tar)
#
# Needs root (mmdebstrap's root mode, chroot, unshare).  Steps that need
# the network (apt-get) share the host's; every other step runs in a
# network namespace of its own (loopback only), so nginx listens on 3001
# as README says, and the tests on their ports, whatever the host runs.
# Everything started in a root dies with its PID namespace.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tests=${FRESH_TESTS:-quick}
quick_t=${FRESH_T:-t/001-health.t t/010-tts.t t/016-providers-conf.t t/070-local.t}
work=${FRESH_DIR:-$top/build/fresh}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security
start=$SECONDS

case $tests in quick|full|none) ;; *)
    echo "fresh: FRESH_TESTS must be quick, full or none" >&2; exit 1 ;;
esac
((EUID == 0)) || { echo "fresh: run as root (mmdebstrap, chroot)" >&2; exit 1; }

log() { printf 'fresh: [%5ss] %s\n' "$((SECONDS - start))" "$*"; }

# in_root ROOT net|nonet SCRIPT: SCRIPT by bash in ROOT, with /proc, /sys
# and /dev, in PID and mount namespaces of its own (and a network one with
# only loopback for nonet)
in_root() {
    local root=$1 net=$2 script=$3 flags=(--mount --pid --fork --kill-child)
    [[ $net == nonet ]] && flags+=(--net)
    unshare "${flags[@]}" -- bash -euc '
        root=$1 script=$2
        mount --make-rprivate /
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        ip link set lo up 2>/dev/null || true
        exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
            LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            bash -euc "$script"
    ' in_root "$root" "$script"
}

# a clean Debian 12 root, sources as a Debian 12 install has them: made once
# as a tarball, unpacked for each root
make_root() {
    local root=$1
    if [[ ! -f $work/base.tar && -n ${FRESH_BASE:-} ]]; then
        log "the base root from $FRESH_BASE"
        cp "$FRESH_BASE" "$work/base.tar"
    elif [[ ! -f $work/base.tar ]]; then
        log "mmdebstrap --variant=minbase bookworm"
        mmdebstrap --quiet --variant=minbase bookworm "$work/base.tar" \
            "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
            "deb $security bookworm-security main"
    fi
    mkdir -p "$root"
    tar -x -C "$root" -f "$work/base.tar"
    log "a clean root in $root"
}

# the checks a client makes: GET / is WaaV's health answer, /speak with the
# local provider a WAV; PORT is where to ask (shell text run inside a root)
checks='
    fail() { echo "fresh: $*"; echo "--- the server said:"; cat /tmp/run.log; tail -n 20 /var/log/nginx/error.log 2>/dev/null; exit 1; }
    for i in $(seq 600); do
        curl -fsS "http://127.0.0.1:$PORT/" >/tmp/health 2>/dev/null && break
        kill -0 $server 2>/dev/null || fail "the server exited"
        sleep 0.5
    done
    grep -qx "{\"status\":\"OK\"}" /tmp/health ||
        fail "GET / answered: $(cat /tmp/health 2>&1)"
    echo "fresh: GET / -> $(cat /tmp/health)"
    code=$(curl -sS -o /tmp/hello.wav -w "%{http_code}" \
        -H "Content-Type: application/json" \
        -d "{\"text\":\"Hello from waav\",\"tts_config\":{\"provider\":\"local\",\"audio_format\":\"wav\"}}" \
        "http://127.0.0.1:$PORT/speak")
    size=$(stat -c %s /tmp/hello.wav)
    [[ $code == 200 && $(head -c 4 /tmp/hello.wav) == RIFF && $size -gt 8000 ]] ||
        fail "/speak answered $code, $size bytes: $(head -c 300 /tmp/hello.wav)"
    echo "fresh: POST /speak (local) -> $code, a WAV of $size bytes"
'

rm -rf "$work"
mkdir -p "$work"
trap '[[ ${FRESH_KEEP:-0} == 1 ]] || rm -rf "$work"' EXIT

# --- 1: README's commands on a machine with nothing ------------------------

r1=$work/root1
make_root "$r1"
mkdir -p "$r1/root/waav"
git -C "$top" archive HEAD | tar -x -C "$r1/root/waav"
# services the packages install are not started: in a chroot they would run
# in the host's network (nginx on port 80); deps.sh stops them anyway
printf '#!/bin/sh\nexit 101\n' >"$r1/usr/sbin/policy-rc.d"
chmod 755 "$r1/usr/sbin/policy-rc.d"
log "repository at $(git -C "$top" rev-parse --short HEAD) in $r1/root/waav"

log "apt-get install make; make deps-test (make test's first step: its Debian packages)"
in_root "$r1" net '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends make >/dev/null
    cd /root/waav && make --no-print-directory deps-test
'
t1=$SECONDS
case $tests in
    full)  log "make test"
           in_root "$r1" nonet 'cd /root/waav && make test' ;;
    quick) log "make build; scripts/prove.sh $quick_t"
           in_root "$r1" nonet "cd /root/waav && make build &&
                                scripts/prove.sh $quick_t" ;;
    none)  log "no tests (FRESH_TESTS=none)" ;;
esac
log "tests ($tests) took $((SECONDS - t1)) s"

log "make run; GET /; POST /speak; make deb"
in_root "$r1" nonet "
    cd /root/waav
    make run >/tmp/run.log 2>&1 &
    server=\$! PORT=3001
    trap 'cat /tmp/run.log' ERR
    $checks
    make deb LINTIAN=0
"
deb=$(cd "$r1/root/waav/build" && ls libnginx-mod-http-waav_*_amd64.deb)
log "built $deb"

# --- 2: the package and the Dockerfile's steps -------------------------------

r2=$work/root2
make_root "$r2"
mkdir -p "$r2/tmp/waav/build"
git -C "$top" archive HEAD | tar -x -C "$r2/tmp/waav"
cp "$r1/root/waav/build/$deb" "$r2/tmp/waav/build/"
rm -rf "$r1"

log "docker/install.sh (the Dockerfile's RUN): nginx, $deb"
in_root "$r2" net 'sh /tmp/waav/docker/install.sh /tmp/waav && rm -rf /tmp/waav'

log "Debian's nginx with conf/examples/debian-site.conf: nginx -t; GET /; POST /speak"
in_root "$r2" nonet "
    readlink /etc/nginx/modules-enabled/50-mod-http-waav.conf
    nginx -t
    cp /usr/share/doc/libnginx-mod-http-waav/examples/debian-site.conf \
       /etc/nginx/conf.d/waav.conf
    # nginx resolves the providers' hosts at start; this root has no DNS
    # (no provider is called): they are 127.0.0.1 here
    sed -n 's/^ *server \([^: ]*\):[0-9]*;.*/127.0.0.1 \1/p' \
        /etc/nginx/waav/upstreams.conf | sort -u >>/etc/hosts
    nginx -t
    nginx 2>/tmp/run.log
    server=\$(cat /run/nginx.pid) PORT=3001
    $checks
    nginx -s quit
    while kill -0 \$server 2>/dev/null; do sleep 0.2; done
    rm /etc/nginx/conf.d/waav.conf
"

log "entrypoint.sh --test; entrypoint.sh; GET /; POST /speak"
in_root "$r2" nonet "
    /usr/local/share/waav/docker/entrypoint.sh --test
    PORT=3001 /usr/local/share/waav/docker/entrypoint.sh >/tmp/run.log 2>&1 &
    server=\$! PORT=3001
    trap 'cat /tmp/run.log' ERR
    $checks
    grep -q 'listening on http://0.0.0.0:3001/' /tmp/run.log
"

log "apt-get remove libnginx-mod-http-waav; nginx -t; apt-get purge"
in_root "$r2" nonet '
    export DEBIAN_FRONTEND=noninteractive
    apt-get remove -y -qq libnginx-mod-http-waav >/dev/null
    [[ ! -e /usr/lib/nginx/modules/ngx_http_waav_module.so ]]
    [[ ! -e /etc/nginx/modules-enabled/50-mod-http-waav.conf ]]
    nginx -t
    apt-get purge -y -qq libnginx-mod-http-waav >/dev/null
    [[ -z $(ls /etc/nginx/modules-enabled/ | grep waav) && ! -e /etc/nginx/waav ]]
    nginx -t
    echo "fresh: after remove and purge: nginx -t passes, no waav left"
'

log "passed (FRESH_TESTS=$tests) in $((SECONDS - start)) s"
