#!/usr/bin/env bash
# make bench: wrk against waav and against plain nginx doing the nearest
# equivalent, in the same nginx, alternating, and a markdown table of the
# medians and their ratio.  bench/README.md says what each row measures.
#
# The provider rows go through the provider configuration make run ships:
# waav/upstreams.conf and waav/providers.conf as scripts/providers-conf.sh
# writes them (base URLs at the fake provider) and conf/waav/proxy.conf,
# included the way conf/waav.conf includes them.  The "make run" row runs
# make run's own configuration (scripts/run.sh --write) in a second nginx.
#
#   ROUNDS (5)  DURATION seconds per run (3)  CONNECTIONS (50)
#   (each round runs both sides back to back; a row's ratio is the median
#   of the rounds' ratios, its req/s the medians of each side)
#   WORKERS nginx workers (1; wrk gets the other core)
#   BENCH_STRICT=1  exit 1 when a row misses its target
#   ONLY=regex      run only the rows whose name matches
#   WAAV_KEEPALIVE  the provider pools' size (the generator's default, 64)
#   ACCESS_LOG      make run's access log (buffered, unbuffered, off)
#   WSLOAD          the /ws rows' load generator (make bench builds it:
#                   build/wsload, bench/wsload.c)
#   WSSTREAM        the streaming STT rows' client and provider (build/wsstream,
#                   bench/wsstream.c)
#   STREAM_SESSIONS STREAM_SECONDS  the streaming STT load row (500, 10)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-$top/build/ngx_http_waav_module.so}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-50}
WORKERS=${WORKERS:-1}
WSLOAD=${WSLOAD:-$top/build/wsload}
WSSTREAM=${WSSTREAM:-$top/build/wsstream}
STREAM_SESSIONS=${STREAM_SESSIONS:-500}
STREAM_SECONDS=${STREAM_SECONDS:-10}
prefix=$top/build/bench

# 1,000 /ws sessions, and as many relayed connections (two sockets each)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport'
}

PORT=$(free_port)
FAKE=$(free_port)
FAKE_TLS=$(free_port)
EXT=$(free_port)
RUN_PORT=$(free_port)
REDIS_PORT=$(free_port)
WS_SINK=$(free_port)
STAMP=$(free_port)
STREAM=$(free_port)
STREAM_RUN=$(free_port)
METRICS_ON=$(free_port)
METRICS_OFF=$(free_port)

rm -rf "$prefix"
mkdir -p "$prefix"/{conf,logs,temp,html}

# tokens for the auth rows (t/lib/Waav/Jwt.pm: Perl and openssl)
keys=$prefix/keys
mkdir -p "$keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/rsa.pem" 2>/dev/null
openssl pkey -in "$keys/rsa.pem" -pubout -out "$keys/rsa.pub" 2>/dev/null
hs_secret=bench-hs256-secret-bench-hs256-secret
read -r hs_token rs_token < <(perl -I "$top/t/lib" -MWaav::Jwt -e '
    my $c = json_of(sub => "bench", exp => time + 3600);
    print jwt(alg => "HS256", key => $ARGV[0], claims => $c), " ",
          jwt(alg => "RS256", key => $ARGV[1], claims => $c), "\n"' \
    "$hs_secret" "$keys/rsa.pem")

# the fake provider's TLS: its own CA, a certificate for 127.0.0.1 (the
# generated location checks the base URL's host as a name)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=waav-bench-ca \
    -keyout "$keys/ca.key" -out "$keys/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "$keys/fake.key" -out "$keys/fake.csr" 2>/dev/null
echo "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1" >"$keys/ext.cnf"
openssl x509 -req -in "$keys/fake.csr" -CA "$keys/ca.pem" -CAkey "$keys/ca.key" \
    -CAcreateserial -days 2 -extfile "$keys/ext.cnf" -out "$keys/fake.pem" 2>/dev/null

# the provider configuration make run ships, at the fake providers:
# deepgram over http, openai over TLS (both served by the nginx under
# test), elevenlabs at a fake provider of its own (an nginx that the reload
# row does not reload, as no real provider restarts with us)
mkdir -p "$prefix/conf/waav"
cp "$top/conf/waav/proxy.conf" "$top/conf/waav/voices-cache.conf" "$prefix/conf/waav/"
env -i PATH="$PATH" WAAV_CA_BUNDLE="$keys/ca.pem" \
    ${WAAV_KEEPALIVE:+WAAV_KEEPALIVE=$WAAV_KEEPALIVE} \
    DEEPGRAM_API_KEY=bench-key DEEPGRAM_BASE_URL="http://127.0.0.1:$FAKE" \
    OPENAI_API_KEY=bench-key OPENAI_BASE_URL="https://127.0.0.1:$FAKE_TLS/v1" \
    ELEVENLABS_API_KEY=bench-key ELEVENLABS_BASE_URL="http://127.0.0.1:$EXT" \
    "$top/scripts/providers-conf.sh" "$prefix/conf/waav" --env >/dev/null

# --- the rows: name | waav URL (a path: this nginx; run:PATH: make run's
#                nginx) | baseline path | wrk lua script | target (empty:
#                measured and shown, no target set by an issue) | request
#                header (both sides) | the waav side's requests at the fake
#                provider (a regex on their path: the provider connections
#                opened per 1000 requests are counted) | the most of those
#                per 1000 requests (empty: shown, no target) ----------------
# Every issue adds its row here (and its locations to the config below).
rows=(
    "GET / health (waav_health vs return 200)|/health|/baseline/health||0.95"
    "GET / make run's config (access log ${ACCESS_LOG:-buffered}) vs return 200|run:/|/baseline/health||0.95"
    "POST /speak 16 KiB audio (waav_tts vs proxy_pass, same fake provider)|/speak|/baseline/speak|speak.lua|0.85||^/v1/speak|2"
    "POST /speak 16 KiB audio over verified TLS (waav_tts vs proxy_pass)|/speak|/baseline/speak-tls|speak-tls.lua|0.85||^/v1/audio/speech|2"
    "auth: API secret (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer bench-secret-0123456789"
    "auth: HS256 JWT (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer $hs_token"
    "auth: RS256 JWT (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer $rs_token"
    "limit: shm rate + concurrency (waav_limit on vs off)|/limit/health|/health||0.95"
    "limit: Redis rate vs shm rate|/limit/redis|/limit/shm||0.60"
    "limit: Redis vs shm, 1000 keys at random (no batch shares a counter)|/limit/redis-keys|/limit/shm-keys|keys.lua|"
    "POST /listen 64 KiB WAV (waav_stt vs proxy_pass, same fake provider)|/listen|/baseline/listen|listen.lua|0.80||^/v1/listen"
    "metrics: GET / make run's config, METRICS=on vs off|mon:/|moff:/||0.97"
    "metrics: POST /speak 16 KiB audio, make run's config, METRICS=on vs off|mon:/speak|moff:/speak|speak.lua|0.97"
)

head -c 16384 /dev/urandom >"$prefix/html/audio.pcm"
# a Deepgram-shaped transcription for any POST to /v1/listen
cat >"$prefix/html/listen.json" <<'JSON'
{"metadata":{"duration":2.0},"results":{"channels":[{"alternatives":[{"transcript":"hello world from the benchmark","confidence":0.98,"words":[{"word":"hello","start":0.1,"end":0.4,"confidence":0.99},{"word":"world","start":0.5,"end":0.9,"confidence":0.98},{"word":"from","start":1.0,"end":1.2,"confidence":0.97},{"word":"the","start":1.3,"end":1.4,"confidence":0.99},{"word":"benchmark","start":1.5,"end":1.9,"confidence":0.96}]}]}]}}
JSON
# an OpenAI-shaped transcription for any POST to /v1/audio/transcriptions
echo '{"text":"hello world from the benchmark"}' >"$prefix/html/transcription.json"
cat >"$prefix/conf/nginx.conf" <<CONF
load_module $MODULE;
worker_processes $WORKERS;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    keepalive_requests 100000;

    # the providers as make run declares them (deepgram, openai)
    include waav/upstreams.conf;

    waav_auth_secret bench bench-secret-0123456789;
    waav_limit_zone bench_ip:10m;
    waav_limit_zone bench_redis:10m redis=redis://127.0.0.1:$REDIS_PORT
                    redis_timeout=500ms;
    waav_limit_zone bench_keys:10m key=\$http_x_key;
    waav_limit_zone bench_keys_redis:10m key=\$http_x_key
                    redis=redis://127.0.0.1:$REDIS_PORT redis_timeout=500ms;
    waav_auth_jwt_key hs256 $hs_secret;
    waav_auth_jwt_key rs256 file:$keys/rsa.pub;

    # the baselines' pools, sized as the generated ones
    upstream fake_provider {
        server 127.0.0.1:$FAKE;
        keepalive 64;
    }
    upstream fake_provider_tls {
        server 127.0.0.1:$FAKE_TLS;
        keepalive 64;
    }

    # the /ws rows' baseline: a WebSocket server that drops what it gets
    upstream ws_sink {
        server 127.0.0.1:$WS_SINK;
    }

    # the streaming STT rows' baseline: the Deepgram-like provider
    upstream ws_stream {
        server 127.0.0.1:$STREAM;
    }

    # the "provider": 16 KiB of audio for any POST (the static module
    # answers POST with 405, which error_page turns into the file), over
    # http and over TLS; each request's connection is logged, so the rows
    # can count the connections providers see
    log_format conn '\$connection \$request_uri';
    server {
        listen 127.0.0.1:$FAKE reuseport backlog=4096;
        listen 127.0.0.1:$FAKE_TLS ssl reuseport backlog=4096;
        ssl_certificate $keys/fake.pem;
        ssl_certificate_key $keys/fake.key;
        ssl_session_cache shared:fake_tls:1m;
        access_log logs/fake.log conn;
        root $prefix/html;
        default_type audio/pcm;
        client_max_body_size 25m;
        location / {
            try_files /audio.pcm =404;
            error_page 405 =200 /audio.pcm;
        }
        location = /audio.pcm {
        }
        location ~ /v1/listen\$ {
            default_type application/json;
            try_files /listen.json =404;
            error_page 405 =200 /listen.json;
        }
        location = /listen.json {
        }
        location ~ /v1/audio/transcriptions\$ {
            default_type application/json;
            try_files /transcription.json =404;
            error_page 405 =200 /transcription.json;
        }
        location = /transcription.json {
        }
    }

    server {
        listen 127.0.0.1:$PORT reuseport backlog=4096;

        location = /health { waav_health; }

        location = /auth/health { waav_auth on; waav_health; }

        # never refuses: what the checks cost, not what they refuse
        location = /limit/health {
            waav_limit zone=bench_ip rate=1000000r/s burst=1000000000;
            waav_limit zone=bench_ip concurrency=100000;
            waav_health;
        }

        location = /limit/redis {
            waav_limit zone=bench_redis rate=1000000r/s burst=1000000000;
            waav_health;
        }
        location = /limit/shm {
            waav_limit zone=bench_ip rate=1000000r/s burst=1000000000;
            waav_health;
        }
        location = /limit/redis-keys {
            waav_limit zone=bench_keys_redis rate=1000000r/s burst=1000000000;
            waav_health;
        }
        location = /limit/shm-keys {
            waav_limit zone=bench_keys rate=1000000r/s burst=1000000000;
            waav_health;
        }

        location = /baseline/health {
            default_type application/json;
            return 200 '{"status":"OK"}';
        }

        location = /speak { waav_tts; }

        location = /listen { waav_stt deepgram; }

        # nginx's own WebSocket relay, as its documentation configures it
        # (buffers as nginx's defaults: one page, the 4 KiB wslay reads
        # /ws in), to the sink
        location = /baseline/ws {
            proxy_pass http://ws_sink;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection upgrade;
            proxy_read_timeout 300s;
        }

        # the same relay to the streaming STT provider, the key added as
        # waav adds it: the client speaks Deepgram's protocol through it
        location /baseline/stream/ {
            proxy_pass http://ws_stream/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection upgrade;
            proxy_set_header Authorization "Token bench-key";
            proxy_read_timeout 300s;
        }

        # the providers, as in conf/waav.conf
        location /_waav/ {
            internal;
            include waav/proxy.conf;
            include waav/providers.conf;
        }

        # plain nginx: the client's request straight to the same provider,
        # with the same proxy settings and keepalive
        location /baseline/ {
            include waav/proxy.conf;

            location = /baseline/listen {
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_pass http://fake_provider/base/v1/listen;
            }
            location = /baseline/speak {
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_pass http://fake_provider/base/v1/speak;
            }
            location = /baseline/speak-tls {
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_pass https://fake_provider_tls/base/v1/speak;
                proxy_ssl_server_name on;
                proxy_ssl_name 127.0.0.1;
                proxy_ssl_verify on;
                proxy_ssl_trusted_certificate $keys/ca.pem;
                proxy_ssl_session_reuse on;
            }
        }
    }
}
CONF

# the provider of the reload row, in an nginx of its own
mkdir -p "$prefix/ext/logs"
cat >"$prefix/ext/nginx.conf" <<CONF
worker_processes 1;
pid $prefix/ext/nginx.pid;
error_log $prefix/ext/logs/error.log warn;
events { worker_connections 4096; }
http {
    client_body_temp_path $prefix/temp;
    keepalive_requests 100000;
    # its connection numbers are its own: tagged apart from the other's
    log_format conn 'ext\$connection \$request_uri';
    server {
        listen 127.0.0.1:$EXT backlog=4096;
        access_log $prefix/logs/fake.log conn;
        root $prefix/html;
        default_type audio/pcm;
        location / {
            try_files /audio.pcm =404;
            error_page 405 =200 /audio.pcm;
        }
        location = /audio.pcm {
        }
    }
}
CONF

# make run's own configuration, in a second nginx (not under load while
# the other is): the per-IP rate limit off (WaaV's own switch) and the
# per-IP /ws sessions at 100000 (the /ws rows open 1,000 from one address),
# the rest as make run serves it, its access log to a file as to a
# terminal.  Its providers, for the /ws rows: Deepgram (TTS) at wsload's
# timestamping provider, OpenAI (buffered STT) at the fake one over TLS.
# The streaming STT rows run the same configuration in a third nginx whose
# Deepgram is wsstream's streaming provider.
run_prefix=$prefix/run
stream_prefix=$prefix/stream
run_env=(DEEPGRAM_API_KEY=bench-key OPENAI_API_KEY=bench-key)
run_write() {   # prefix port deepgram-base-url [VAR=value ...]
    env -i PATH="$PATH" "${@:4}" WAAV_RUN_PREFIX="$1" HOST=127.0.0.1 PORT="$2" \
        WORKER_PROCESSES="$WORKERS" RATE_LIMIT_REQUESTS_PER_SECOND=100000 \
        MAX_CONNECTIONS_PER_IP=100000 "${run_env[@]}" \
        DEEPGRAM_BASE_URL="$3" \
        OPENAI_BASE_URL="https://127.0.0.1:$FAKE_TLS/v1" WAAV_CA_BUNDLE="$keys/ca.pem" \
        ${ACCESS_LOG:+ACCESS_LOG=$ACCESS_LOG} NGINX_BIN="$NGINX_BIN" MODULE="$MODULE" \
        "$top/scripts/run.sh" --write
}
run_write "$run_prefix" "$RUN_PORT" "http://127.0.0.1:$STAMP"
run_write "$stream_prefix" "$STREAM_RUN" "http://127.0.0.1:$STREAM" >/dev/null
# the metrics rows (issue 16): make run's configuration with METRICS=on and
# off, each in an nginx of its own, Deepgram at the fake provider
run_write "$prefix/metrics-on" "$METRICS_ON" "http://127.0.0.1:$FAKE" >/dev/null
run_write "$prefix/metrics-off" "$METRICS_OFF" "http://127.0.0.1:$FAKE" \
    METRICS=off >/dev/null

# the fleet's Redis, for the Redis row
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$prefix/redis.pid" >/dev/null

# the generated waav_provider lines read the keys from the environment
ngx() {
    DEEPGRAM_API_KEY=bench-key OPENAI_API_KEY=bench-key ELEVENLABS_API_KEY=bench-key \
        "$NGINX_BIN" -p "$prefix/" -c conf/nginx.conf -e "$prefix/logs/error.log" "$@"
}

# the /ws rows' servers: the WebSocket sink behind the relay baseline, the
# TTS provider that stamps its first byte
"$WSLOAD" sink -a "127.0.0.1:$WS_SINK" &
sink_pid=$!
"$WSLOAD" provider -a "127.0.0.1:$STAMP" &
stamp_pid=$!
# the streaming STT rows' Deepgram-like provider
"$WSSTREAM" provider -a "127.0.0.1:$STREAM" &
stream_pid=$!

ngx
"$NGINX_BIN" -p "$prefix/ext/" -c "$prefix/ext/nginx.conf" -e "$prefix/ext/logs/error.log"
env "${run_env[@]}" "$NGINX_BIN" -p "$run_prefix/" -c conf/waav.conf -e "$run_prefix/logs/error.log" \
    -g 'daemon off;' >"$run_prefix/logs/access.log" 2>&1 &
run_pid=$!
env "${run_env[@]}" "$NGINX_BIN" -p "$stream_prefix/" -c conf/waav.conf -e "$stream_prefix/logs/error.log" \
    -g 'daemon off;' >"$stream_prefix/logs/access.log" 2>&1 &
stream_run_pid=$!
metrics_pids=()
for m in on off; do
    env "${run_env[@]}" "$NGINX_BIN" -p "$prefix/metrics-$m/" -c conf/waav.conf \
        -e "$prefix/metrics-$m/logs/error.log" -g 'daemon off;' \
        >"$prefix/metrics-$m/logs/access.log" 2>&1 &
    metrics_pids+=($!)
done
trap 'ngx -s stop 2>/dev/null || true; kill "$(cat "$prefix/ext/nginx.pid" 2>/dev/null)" 2>/dev/null || true; kill "$run_pid" "$stream_run_pid" "${metrics_pids[@]}" "$sink_pid" "$stamp_pid" "$stream_pid" 2>/dev/null || true; kill "$(cat "$prefix/redis.pid" 2>/dev/null)" 2>/dev/null || true' EXIT

[[ -n ${BENCH_HOLD:-} ]] && { echo "bench nginx on $PORT, make run's on $RUN_PORT"; sleep "$BENCH_HOLD"; }
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null &&
        curl -fs "http://127.0.0.1:$RUN_PORT/" >/dev/null &&
        curl -fs "http://127.0.0.1:$STREAM_RUN/" >/dev/null &&
        curl -fs "http://127.0.0.1:$METRICS_ON/" >/dev/null &&
        curl -fs "http://127.0.0.1:$METRICS_OFF/" >/dev/null && break
    sleep 0.1
done

url() {
    case $1 in
        run:*)  echo "http://127.0.0.1:$RUN_PORT${1#run:}" ;;
        mon:*)  echo "http://127.0.0.1:$METRICS_ON${1#mon:}" ;;
        moff:*) echo "http://127.0.0.1:$METRICS_OFF${1#moff:}" ;;
        *)      echo "http://127.0.0.1:$PORT$1" ;;
    esac
}

rps() {   # path script header -> requests/s
    local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    [[ -n $2 ]] && args+=(-s "$top/bench/$2")
    [[ -n ${3:-} ]] && args+=(-H "$3")
    local out
    out=$(wrk "${args[@]}" "$(url "$1")")
    # a run with errors measures nothing: report 0 and say why
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "bench: $1: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
        echo 0
        return
    fi
    awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

fake_lines() { wc -l <"$prefix/logs/fake.log" 2>/dev/null || echo 0; }

# the connections providers saw opened per 1000 requests of the waav side
# (paths matching $2) after line $1 of their log: connections already in
# use before (the pool a warm-up run filled) are not new
conns_per_1k() {
    awk -v mark="$1" -v re="$2" '
        NR <= mark { seen[$1] = 1; next }
        $2 ~ re { n++; if (!($1 in seen)) { seen[$1] = 1; k++ } }
        END { printf "%.2f %d %d\n", n ? 1000 * k / n : 0, k, n }' "$prefix/logs/fake.log"
}

echo "waav bench: nginx $("$NGINX_BIN" -v 2>&1 | sed 's|.*/||'), $WORKERS worker(s), wrk -t1 -c$CONNECTIONS, $ROUNDS x ${DURATION}s alternating, $(nproc) cores"
echo
echo "| case | waav req/s | baseline req/s | ratio | target | | provider connections opened per 1000 requests (target ≤ 2 for /speak) |"
echo "|---|---:|---:|---:|---:|---|---:|"

failed=0
for row in "${rows[@]}"; do
    IFS='|' read -r name path base script target header fake most <<<"$row"
    [[ -n ${ONLY:-} && ! $name =~ $ONLY ]] && continue
    if [[ -n $fake ]]; then
        # fills the provider pools, as a server that has been up a while
        DURATION=1 rps "$path" "$script" "$header" >/dev/null
    fi
    mark=$(fake_lines)
    w=() b=()
    for ((i = 0; i < ROUNDS; i++)); do
        if ((i % 2 == 0)); then
            w+=("$(rps "$path" "$script" "$header")"); b+=("$(rps "$base" "$script" "$header")")
        else
            b+=("$(rps "$base" "$script" "$header")"); w+=("$(rps "$path" "$script" "$header")")
        fi
    done
    mw=$(printf '%s\n' "${w[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    # the ratio of each round's two runs, side by side in time, then their
    # median: steadier than the ratio of the medians on a shared machine
    ratio=$(for ((i = 0; i < ROUNDS; i++)); do
                awk -v a="${w[i]}" -v b="${b[i]}" 'BEGIN { print (b > 0) ? a / b : 0 }'
            done | median | awk '{ printf "%.3f", $1 }')
    verdict=
    if [[ -n $target ]]; then
        verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "ok" : "BELOW TARGET" }')
    fi
    conns=
    if [[ -n $fake ]]; then
        read -r per1k k n < <(conns_per_1k "$mark" "$fake")
        conns="$per1k ($k in $n)"
        if [[ -n $most ]] && awk -v c="$per1k" -v m="$most" 'BEGIN { exit !(c > m) }'; then
            verdict="CONNECTIONS ABOVE TARGET"
        fi
    fi
    [[ -z $verdict || $verdict == ok ]] || failed=1
    printf '| %s | %.0f | %.0f | %s× | %s | %s | %s |\n' "$name" "$mw" "$mb" "$ratio" \
        "${target:+≥ ${target}×}" "$verdict" "$conns"
done

# time to first byte over TLS, one request at a time (the connection to
# the provider kept): the provider path's latency rather than its rate
if [[ -z ${ONLY:-} || "TLS time to first byte" =~ $ONLY ]]; then
    ttfb() {   # path -> median ms over 200 sequential requests
        for _ in $(seq 200); do
            curl -s -o /dev/null -w '%{time_starttransfer}\n' -H 'Content-Type: application/json' \
                 -d '{"text":"Hello from the waav benchmark","tts_config":{"provider":"openai"}}' "$(url "$1")"
        done | median | awk '{ printf "%.2f", $1 * 1000 }'
    }
    tw=$(ttfb /speak) tb=$(ttfb /baseline/speak-tls)
    printf '| /speak over TLS: time to first byte, ms, median of 200 one at a time (lower is better) | %s ms | %s ms | %s× | | | |\n' \
        "$tw" "$tb" "$(awk -v a="$tw" -v b="$tb" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')"
fi

# GET /voices: four providers at 100 ms each, asked at once (bench/voices.sh:
# make run's configuration and the provider mock, in a prefix of their own)
if [[ -z ${ONLY:-} || "GET /voices" =~ $ONLY ]]; then
    NGINX_BIN="$NGINX_BIN" MODULE="$MODULE" "$top/bench/voices.sh" "$prefix/voices" || failed=1
fi

# /speak for 10 s while nginx reloads twice: no call may fail
if [[ -z ${ONLY:-} || "/speak under reload" =~ $ONLY ]]; then
    DURATION=1 rps /speak speak-reload.lua >/dev/null
    mark=$(fake_lines)
    wrk -t1 -c"$CONNECTIONS" -d10s -s "$top/bench/speak-reload.lua" "$(url /speak)" >"$prefix/reload.wrk" &
    wrk_pid=$!
    sleep 3; ngx -s reload
    sleep 3; ngx -s reload
    wait "$wrk_pid"
    out=$(cat "$prefix/reload.wrk")
    non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out"); non2xx=${non2xx:-0}
    sockerr=$(grep -E 'Socket errors' <<<"$out" | sed 's/^ *Socket errors: //' || true)
    reqs=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    read -r per1k k n < <(conns_per_1k "$mark" '^/v1/text-to-speech/')
    verdict=$( ((non2xx == 0)) && echo ok || echo "NON-2XX ANSWERS")
    [[ $verdict == ok ]] || failed=1
    echo "| /speak under reload: 10 s of wrk, two nginx -s reload (non-2xx answers; socket errors: ${sockerr:-none}) | $reqs | | | 0 non-2xx | $non2xx non-2xx: $verdict | $per1k ($k in $n) |"
fi

# memory: a 20 MB upload through /listen must not grow the worker by 5 MB
if [[ -z ${ONLY:-} || "STT memory" =~ $ONLY ]]; then
    # a WAV: 16 kHz mono 16-bit, 20 MB of silence after its header
    perl -e 'my $n = 20971520 - 44;
             print "RIFF", pack("V", 36 + $n), "WAVEfmt ",
                   pack("VvvVVvv", 16, 1, 1, 16000, 32000, 2, 16),
                   "data", pack("V", $n), "\0" x $n' >"$prefix/upload.wav"
    worker=$(pgrep -f "nginx: worker process" -P "$(cat "$prefix/logs/nginx.pid")" | head -1)
    rss() { awk '/^VmRSS/ { print $2 }' "/proc/$worker/status"; }
    before=$(rss)
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: audio/wav' \
                --data-binary @"$prefix/upload.wav" "http://127.0.0.1:$PORT/listen")
    after=$(rss)
    grow=$(( after - before ))
    verdict=$( ((grow < 5 * 1024)) && [[ $code == 200 ]] && echo ok || echo "BELOW TARGET")
    [[ $verdict == ok ]] || failed=1
    echo "| STT: worker RSS growth for a 20 MB upload through /listen (HTTP $code) | ${grow} KiB | | | < 5 MiB | $verdict | |"
    rm -f "$prefix/upload.wav"
fi

# --- the local provider (issue 15), on make run's config: espeak-ng's speed
# (seconds of audio per CPU second of the worker, its pool threads
# included), and GET /'s p99 idle and while syntheses run back to back (a
# synthesis on the event loop would show in it)
if [[ -z ${ONLY:-} || "local TTS" =~ $ONLY ]]; then
    local_text=$(printf 'The quick brown fox jumps over the lazy dog. %.0s' {1..40})
    printf '{"text":"%s","tts_config":{"provider":"local"}}' "$local_text" \
        >"$prefix/local.json"
    worker=$(pgrep -P "$run_pid" -f 'nginx: worker process$' | head -1)
    cpu() { awk '{ print $14 + $15 }' "/proc/$worker/stat"; }
    c0=$(cpu)
    bytes=$(curl -s -o /dev/null -w '%{size_download}' -H 'Content-Type: application/json' \
                 --data-binary @"$prefix/local.json" "$(url run:/speak)")
    c1=$(cpu)
    rtf=$(awk -v b="$bytes" -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
              'BEGIN { printf "%.0f", (b / 2 / 22050) / ((c > 0 ? c : 1) / hz) }')
    echo "| local TTS: seconds of audio per worker CPU second (espeak-ng, 22050 Hz, $((bytes / 44100)) s of audio) | $rtf | | | | | |"

    p99() { wrk -t1 -c4 -d5s --latency "$(url run:/)" |
                awk '$1 == "99%" { print $2 }'; }
    idle=$(p99)
    (for _ in $(seq 200); do
         curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$prefix/local.json" \
              "$(url run:/speak)"
     done) &
    speaking=$!
    busy=$(p99)
    kill "$speaking" 2>/dev/null || true
    wait "$speaking" 2>/dev/null || true
    echo "| local TTS: GET / p99 idle, then while syntheses run back to back | $idle | $busy | | < 5ms while speaking | | |"
fi

# --- /ws (issue 12): make run's /ws against nginx's own WebSocket relay
# (proxy_pass with Upgrade) to wsload's sink, side by side in one run
ws_stt='{"provider":"openai","language":"en","sample_rate":16000,"channels":1,"punctuation":true,"encoding":"linear16","model":"whisper-1"}'
ws_config="{\"type\":\"config\",\"audio\":true,\"stt_config\":$ws_stt,\"tts_config\":{\"provider\":\"deepgram\"}}"
ws_text='Hello from the waav benchmark'
ws_waav=127.0.0.1:$RUN_PORT
ws_base=127.0.0.1:$PORT

# the worker of nginx master $1, fresh: reloaded, the old one gone
fresh_worker() {
    local old new
    old=$(pgrep -P "$1" -f 'nginx: worker process$' || true)
    kill -HUP "$1"
    for _ in $(seq 200); do
        sleep 0.05
        new=$(pgrep -P "$1" -f 'nginx: worker process$' | grep -vxF "${old:-none}" | head -1 || true)
        if [[ -n $new ]] && ! pgrep -P "$1" -f 'shutting down' >/dev/null; then
            echo "$new"
            return
        fi
    done
    echo "bench: no fresh worker for nginx $1" >&2
    return 1
}

ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }

# a wsload that failed (it said why on stderr) leaves -1 among the values
ws_failed() { printf '%s\n' "$@" | grep -qx -- -1; }

ws_rss_name="/ws: worker RSS growth per session, 1,000 sessions after ready (vs nginx's proxy_pass WebSocket relay, 1,000 connections after a message each way)"
if [[ -z ${ONLY:-} || $ws_rss_name =~ $ONLY ]]; then
    # KiB per session for a fresh worker of nginx master $1: 10 sessions
    # first (code and first allocations), then 1,000 more, kept open
    ws_rss() {
        local w out before after n
        w=$(fresh_worker "$1") &&
            out=$("$WSLOAD" sessions -a "$2" -u "$3" -w 10 -n 1000 \
                      -c "$ws_config" -e "$4" -P "$w") || { echo -1; return; }
        read -r before after n <<<"$out"
        awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }'
    }
    w=() b=()
    for ((i = 0; i < ROUNDS; i++)); do
        w+=("$(ws_rss "$run_pid" "$ws_waav" /ws '"type":"ready"')")
        b+=("$(ws_rss "$(cat "$prefix/logs/nginx.pid")" "$ws_base" /baseline/ws pong)")
    done
    mw=$(printf '%s\n' "${w[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    verdict=$(awk -v m="$mw" 'BEGIN { print (m <= 32) ? "ok" : "ABOVE TARGET" }')
    ! ws_failed "${w[@]}" "${b[@]}" || verdict="WSLOAD FAILED"
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %s KiB | %s KiB | %s× | ≤ 32 KiB | %s | |\n' "$ws_rss_name" "$mw" "$mb" \
        "$(ratio_of "$mw" "$mb")" "$verdict"
fi

ws_tts_name="/ws TTS: provider's first byte to the client's first binary frame, ms, median of $ROUNDS rounds of 200 one at a time (vs /speak: to its first body byte)"
if [[ -z ${ONLY:-} || $ws_tts_name =~ $ONLY ]]; then
    # wsload's provider writes its clock (CLOCK_MONOTONIC) into the first
    # 8 bytes of the audio as it writes them; the client subtracts it
    # from its own clock when they arrive
    ws_tts() {
        local out
        out=$("$WSLOAD" tts -a "$ws_waav" -u /ws -n 200 -c "$ws_config" -e '"type":"ready"' \
                  -s "{\"type\":\"speak\",\"text\":\"$ws_text\"}") || out=-1
        echo "${out%% *}"
    }
    ws_speak() {
        local out
        out=$("$WSLOAD" speak -a "$ws_waav" -u /speak -n 200 \
                  -s "{\"text\":\"$ws_text\",\"tts_config\":{\"provider\":\"deepgram\"}}") || out=-1
        echo "${out%% *}"
    }
    w=() b=()
    for ((i = 0; i < ROUNDS; i++)); do
        if ((i % 2 == 0)); then
            w+=("$(ws_tts)"); b+=("$(ws_speak)")
        else
            b+=("$(ws_speak)"); w+=("$(ws_tts)")
        fi
    done
    # the medians of the rounds' medians, in ms
    tw=$(printf '%s\n' "${w[@]}" | median | awk '{ printf "%.3f", $1 / 1000 }')
    tb=$(printf '%s\n' "${b[@]}" | median | awk '{ printf "%.3f", $1 / 1000 }')
    verdict=$(awk -v m="$tw" 'BEGIN { print (m <= 1) ? "ok" : "ABOVE TARGET" }')
    ! ws_failed "${w[@]}" "${b[@]}" || verdict="WSLOAD FAILED"
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %s ms | %s ms | %s× | ≤ 1 ms | %s | |\n' "$ws_tts_name" "$tw" "$tb" \
        "$(ratio_of "$tw" "$tb")" "$verdict"
fi

ws_relay_name="/ws audio: 640-byte binary frames/s from 100 sessions into buffered STT, a flush every ${WS_FLUSH:-500} (vs nginx's proxy_pass WebSocket relay to a sink)"
if [[ -z ${ONLY:-} || $ws_relay_name =~ $ONLY ]]; then
    # frames from the first to the last pong (a text message each session
    # sends after its frames: answered once they were all read); every
    # WS_FLUSH frames (10 s of audio) a flush, which waav transcribes
    # (OpenAI's API at the fake provider) and the sink answers
    ws_relay() {   # address path expect -> frames frames/s sink's-frames texts
        local out f s fps sink texts
        out=$("$WSLOAD" relay -a "$1" -u "$2" -n 100 -d "$DURATION" \
                  -F "${WS_FLUSH:-500}" -c "$ws_config" -e "$3") || { echo -1 -1 -1 -1; return; }
        read -r f s fps sink texts <<<"$out"
        echo "$f $fps $sink $texts"
    }
    w=() b=() r=() fsent=0 tsent=0 sent=0 sunk=0
    log_mark=$(wc -l <"$run_prefix/logs/access.log")
    for ((i = 0; i < ROUNDS; i++)); do
        if ((i % 2 == 0)); then
            read -r f fw _ t < <(ws_relay "$ws_waav" /ws '"type":"ready"')
            read -r g fb k _ < <(ws_relay "$ws_base" /baseline/ws pong)
        else
            read -r g fb k _ < <(ws_relay "$ws_base" /baseline/ws pong)
            read -r f fw _ t < <(ws_relay "$ws_waav" /ws '"type":"ready"')
        fi
        w+=("$fw") b+=("$fb") r+=("$(ratio_of "$fw" "$fb")")
        fsent=$((fsent + f)) tsent=$((tsent + t)) sent=$((sent + g)) sunk=$((sunk + k))
    done
    # what the servers counted: the sink's frames; waav's access log, its
    # frames in ($waav_ws_frames_in: binary and text), once every session
    # is over and the buffered log flushed (flush=1s)
    logged=0
    for _ in $(seq 100); do
        logged=$(tail -n +"$((log_mark + 1))" "$run_prefix/logs/access.log" |
                 awk '/"GET \/ws / { split($0, a, " ws="); split(a[2], b, " "); split(b[2], c, "/"); n += c[1] } END { print n + 0 }')
        ((logged == fsent + tsent)) && break
        sleep 0.1
    done
    mw=$(printf '%s\n' "${w[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    ratio=$(printf '%s\n' "${r[@]}" | median | awk '{ printf "%.3f", $1 }')
    verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.7) ? "ok" : "BELOW TARGET" }')
    if ws_failed "${w[@]}" "${b[@]}"; then
        verdict="WSLOAD FAILED"
    elif ((logged != fsent + tsent || sunk != sent)); then
        verdict="COUNTS DIFFER: waav logged $logged of $((fsent + tsent)), the sink $sunk of $sent"
    fi
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %.0f | %.0f | %s× | ≥ 0.70× | %s | |\n' "$ws_relay_name" "$mw" "$mb" "$ratio" "$verdict"
fi

# --- streaming STT on /ws (issue 13): make run's /ws with Deepgram at
# wsstream's provider (the third nginx) against nginx's own WebSocket relay
# (proxy_pass with Upgrade, the key added) to the same provider, where the
# client speaks Deepgram's protocol itself.  Every session streams 640-byte
# frames every 20 ms; at the end the provider's count of each session's
# audio must be what it sent (waav's flush is Deepgram's Finalize)
ws_dg='{"provider":"deepgram","language":"en","sample_rate":16000,"channels":1,"punctuation":true,"encoding":"linear16","model":"nova-3"}'
ws_stream_config="{\"type\":\"config\",\"audio\":true,\"stt_config\":$ws_dg,\"tts_config\":{\"provider\":\"deepgram\"}}"
ws_stream_base='/baseline/stream/v1/listen?model=nova-3&language=en&encoding=linear16&sample_rate=16000&channels=1&punctuate=true'

# side (waav, base) sessions warm seconds [pid] -> wsstream client's line
# (bench/wsstream.c), or -1s when it failed (it said why on stderr)
ws_stream() {
    local args=(-n "$2" -w "$3" -d "$4" ${5:+-P "$5"})
    if [[ $1 == waav ]]; then
        args+=(-a "127.0.0.1:$STREAM_RUN" -u /ws -c "$ws_stream_config" -e '"type":"ready"')
    else
        args+=(-a "$ws_base" -u "$ws_stream_base" -f '{"type":"Finalize"}')
    fi
    "$WSSTREAM" client "${args[@]}" || echo -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1
}

ws_lat_name="/ws STT stream: provider's result frame to the client's stt_result, ms, p50 / p99, median of $ROUNDS rounds of 50 sessions × ${DURATION} s of real-time audio (vs nginx's proxy_pass WebSocket relay of the provider's frames)"
if [[ -z ${ONLY:-} || $ws_lat_name =~ $ONLY ]]; then
    w50=() w99=() b50=() b99=() lost=0
    for ((i = 0; i < ROUNDS; i++)); do
        for side in $( ((i % 2 == 0)) && echo waav base || echo base waav); do
            read -r _ _ l _ k p50 p99 _ < <(ws_stream "$side" 50 0 "$DURATION")
            ((l == 0)) || lost=1
            ((k > 0)) || p99=-1         # no result came through
            if [[ $side == waav ]]; then w50+=("$p50") w99+=("$p99"); else b50+=("$p50") b99+=("$p99"); fi
        done
    done
    ms() { printf '%s\n' "$@" | median | awk '{ printf "%.3f", $1 / 1000 }'; }
    mw50=$(ms "${w50[@]}") mw99=$(ms "${w99[@]}") mb50=$(ms "${b50[@]}") mb99=$(ms "${b99[@]}")
    verdict=$(awk -v m="$mw99" 'BEGIN { print (m <= 1) ? "ok" : "ABOVE TARGET" }')
    if [[ $verdict != ok ]] && awk -v b="$mb99" 'BEGIN { exit !(b > 1) }'; then
        verdict="$verdict (the relay's too: a loaded machine?)"
    fi
    ((lost == 0)) || verdict="LOST FRAMES"
    ! ws_failed "${w99[@]}" "${b99[@]}" || verdict="WSSTREAM FAILED"
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %s / %s ms | %s / %s ms | %s× | ≤ 1 ms p99 | %s | |\n' "$ws_lat_name" \
        "$mw50" "$mw99" "$mb50" "$mb99" "$(ratio_of "$mw99" "$mb99")" "$verdict"
fi

ws_load_name="/ws STT stream: $STREAM_SESSIONS sessions × $STREAM_SECONDS s of real-time 16 kHz PCM to a Deepgram-like provider: worker RSS growth per session, both sockets; CPU ms per session-second; frames lost (vs nginx's proxy_pass WebSocket relay to it)"
if [[ -z ${ONLY:-} || $ws_load_name =~ $ONLY ]]; then
    # each side on a fresh worker: 10 sessions first (code and first
    # allocations paged in), VmRSS, then the rest, all streaming; VmRSS
    # again after the last frame, CPU time over the frames
    declare -A rss_of cpu_of lost_of
    for side in waav base; do
        [[ $side == waav ]] && master=$stream_run_pid || master=$(cat "$prefix/logs/nginx.pid")
        worker=$(fresh_worker "$master") || worker=
        read -r sessions _ l lb _ _ _ _ r0 r1 c secs < <(ws_stream "$side" "$STREAM_SESSIONS" 10 "$STREAM_SECONDS" "$worker")
        rss_of[$side]=$(awk -v a="$r1" -v b="$r0" -v n="$STREAM_SESSIONS" 'BEGIN { printf "%.1f", (a - b) / n }')
        cpu_of[$side]=$(awk -v c="$c" -v n="$sessions" -v s="$secs" 'BEGIN { printf "%.3f", (n > 0 && s > 0) ? c / (n * s) : -1 }')
        lost_of[$side]="$l sessions, $lb bytes"
        ((sessions > 0)) || lost_of[$side]=failed
    done
    verdict=$(awk -v m="${rss_of[waav]}" 'BEGIN { print (m <= 64) ? "ok" : "ABOVE TARGET" }')
    [[ ${lost_of[waav]} == "0 sessions, 0 bytes" && ${lost_of[base]} == "0 sessions, 0 bytes" ]] ||
        verdict="LOST FRAMES OR FAILED (waav: ${lost_of[waav]}; relay: ${lost_of[base]})"
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %s KiB; %s ms; %s lost | %s KiB; %s ms; %s lost | %s× (RSS) | ≤ 64 KiB, no frame lost | %s | |\n' \
        "$ws_load_name" "${rss_of[waav]}" "${cpu_of[waav]}" "${lost_of[waav]%% *}" \
        "${rss_of[base]}" "${cpu_of[base]}" "${lost_of[base]%% *}" \
        "$(ratio_of "${rss_of[waav]}" "${rss_of[base]}")" "$verdict"
fi

logs=("$prefix/logs/error.log" "$run_prefix/logs/error.log" "$stream_prefix/logs/error.log")
if grep -E '\[(alert|emerg|crit)\]' "${logs[@]}" >/dev/null; then
    echo; echo "errors in the error logs:"
    grep -E '\[(alert|emerg|crit)\]' "${logs[@]}" | head
    failed=1
fi

[[ ${BENCH_STRICT:-0} == 1 ]] && exit $failed
exit 0
