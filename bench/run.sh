#!/usr/bin/env bash
# make bench: wrk against waav and against plain nginx doing the nearest
# equivalent, in the same nginx, alternating, and a markdown table of the
# medians and their ratio.
#
#   ROUNDS (5)  DURATION seconds per run (3)  CONNECTIONS (50)
#   WORKERS nginx workers (1; wrk gets the other core)
#   BENCH_STRICT=1  exit 1 when a row misses its target
#   ONLY=regex      run only the rows whose name matches
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-$top/build/ngx_http_waav_module.so}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-50}
WORKERS=${WORKERS:-1}
prefix=$top/build/bench

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport'
}

PORT=$(free_port)
FAKE=$(free_port)
REDIS_PORT=$(free_port)

# tokens for the auth rows (t/lib/Waav/Jwt.pm: Perl and openssl)
keys=$top/build/bench-keys
mkdir -p "$keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/rsa.pem" 2>/dev/null
openssl pkey -in "$keys/rsa.pem" -pubout -out "$keys/rsa.pub" 2>/dev/null
hs_secret=bench-hs256-secret-bench-hs256-secret
read -r hs_token rs_token < <(perl -I "$top/t/lib" -MWaav::Jwt -e '
    my $c = json_of(sub => "bench", exp => time + 3600);
    print jwt(alg => "HS256", key => $ARGV[0], claims => $c), " ",
          jwt(alg => "RS256", key => $ARGV[1], claims => $c), "\n"' \
    "$hs_secret" "$keys/rsa.pem")

# --- the rows: name | waav path | baseline path | wrk lua script | target
#                (empty: measured and shown, no target set by an issue)
#                | request header (both sides) ---------------------------
# Every issue adds its row here (and its locations to the config below).
rows=(
    "GET / health (waav_health vs return 200)|/health|/baseline/health||0.95"
    "POST /speak 16 KiB audio (waav_tts vs proxy_pass, same fake provider)|/speak|/baseline/speak|speak.lua|0.70"
    "auth: API secret (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer bench-secret-0123456789"
    "auth: HS256 JWT (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer $hs_token"
    "auth: RS256 JWT (waav_auth on vs off)|/auth/health|/health||0.90|Authorization: Bearer $rs_token"
    "limit: shm rate + concurrency (waav_limit on vs off)|/limit/health|/health||0.95"
    "limit: Redis rate vs shm rate|/limit/redis|/limit/shm||0.60"
    "limit: Redis vs shm, 1000 keys at random (no batch shares a counter)|/limit/redis-keys|/limit/shm-keys|keys.lua|"
    "POST /listen 64 KiB WAV (waav_stt vs proxy_pass, same fake provider)|/listen|/baseline/listen|listen.lua|0.80"
)

rm -rf "$prefix"
mkdir -p "$prefix"/{conf,logs,temp,html}
head -c 16384 /dev/urandom >"$prefix/html/audio.pcm"
# a Deepgram-shaped transcription for any POST to /v1/listen
cat >"$prefix/html/listen.json" <<'JSON'
{"metadata":{"duration":2.0},"results":{"channels":[{"alternatives":[{"transcript":"hello world from the benchmark","confidence":0.98,"words":[{"word":"hello","start":0.1,"end":0.4,"confidence":0.99},{"word":"world","start":0.5,"end":0.9,"confidence":0.98},{"word":"from","start":1.0,"end":1.2,"confidence":0.97},{"word":"the","start":1.3,"end":1.4,"confidence":0.99},{"word":"benchmark","start":1.5,"end":1.9,"confidence":0.96}]}]}]}}
JSON
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

    waav_provider deepgram key=bench-key;

    waav_auth_secret bench bench-secret-0123456789;
    waav_limit_zone bench_ip:10m;
    waav_limit_zone bench_redis:10m redis=redis://127.0.0.1:$REDIS_PORT
                    redis_timeout=500ms;
    waav_limit_zone bench_keys:10m key=\$http_x_key;
    waav_limit_zone bench_keys_redis:10m key=\$http_x_key
                    redis=redis://127.0.0.1:$REDIS_PORT redis_timeout=500ms;
    waav_auth_jwt_key hs256 $hs_secret;
    waav_auth_jwt_key rs256 file:$keys/rsa.pub;

    upstream fake_provider {
        server 127.0.0.1:$FAKE;
        keepalive 64;
    }

    # the "provider": 16 KiB of audio for any POST (the static module
    # answers POST with 405, which error_page turns into the file)
    server {
        listen 127.0.0.1:$FAKE reuseport backlog=4096;
        root $prefix/html;
        default_type audio/pcm;
        client_max_body_size 25m;
        location / {
            try_files /audio.pcm =404;
            error_page 405 =200 /audio.pcm;
        }
        location = /audio.pcm {
        }
        location /v1/listen {
            default_type application/json;
            try_files /listen.json =404;
            error_page 405 =200 /listen.json;
        }
        location = /listen.json {
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

        # plain nginx: the client's upload straight to the same provider
        location = /baseline/listen {
            client_max_body_size 25m;
            proxy_pass http://fake_provider/v1/listen;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /_waav/deepgram/ {
            internal;
            proxy_pass http://fake_provider/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            subrequest_output_buffer_size 64k;
            client_max_body_size 0;
        }

        # plain nginx: the client's POST straight to the same provider
        location = /baseline/speak {
            proxy_pass http://fake_provider/v1/speak;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
CONF

# the fleet's Redis, for the Redis row
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$prefix/redis.pid" >/dev/null

"$NGINX_BIN" -p "$prefix/" -c conf/nginx.conf -e "$prefix/logs/error.log"
trap '"$NGINX_BIN" -p "$prefix/" -c conf/nginx.conf -e "$prefix/logs/error.log" -s stop 2>/dev/null || true; kill "$(cat "$prefix/redis.pid" 2>/dev/null)" 2>/dev/null || true' EXIT

[[ -n ${BENCH_HOLD:-} ]] && { echo "bench nginx on $PORT"; sleep "$BENCH_HOLD"; }
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.1
done

rps() {   # path script header -> requests/s
    local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    [[ -n $2 ]] && args+=(-s "$top/bench/$2")
    [[ -n ${3:-} ]] && args+=(-H "$3")
    local out
    out=$(wrk "${args[@]}" "http://127.0.0.1:$PORT$1")
    # a run with errors measures nothing: report 0 and say why
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "bench: $1: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
        echo 0
        return
    fi
    awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "waav bench: nginx $("$NGINX_BIN" -v 2>&1 | sed 's|.*/||'), $WORKERS worker(s), wrk -t1 -c$CONNECTIONS, $ROUNDS x ${DURATION}s alternating, $(nproc) cores"
echo
echo "| case | waav req/s | baseline req/s | ratio | target | |"
echo "|---|---:|---:|---:|---:|---|"

failed=0
for row in "${rows[@]}"; do
    IFS='|' read -r name path base script target header <<<"$row"
    [[ -n ${ONLY:-} && ! $name =~ $ONLY ]] && continue
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
    ratio=$(awk -v a="$mw" -v b="$mb" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
    if [[ -z $target ]]; then
        printf '| %s | %.0f | %.0f | %s× | | |\n' "$name" "$mw" "$mb" "$ratio"
        continue
    fi
    verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "ok" : "BELOW TARGET" }')
    [[ $verdict == ok ]] || failed=1
    printf '| %s | %.0f | %.0f | %s× | ≥ %s× | %s |\n' "$name" "$mw" "$mb" "$ratio" "$target" "$verdict"
done

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
    echo "| STT: worker RSS growth for a 20 MB upload through /listen (HTTP $code) | ${grow} KiB | | | < 5 MiB | $verdict |"
    rm -f "$prefix/upload.wav"
fi

if grep -E '\[(alert|emerg|crit)\]' "$prefix/logs/error.log" >/dev/null; then
    echo; echo "errors in $prefix/logs/error.log:"; grep -E '\[(alert|emerg|crit)\]' "$prefix/logs/error.log" | head
    failed=1
fi

[[ ${BENCH_STRICT:-0} == 1 ]] && exit $failed
exit 0
