#!/usr/bin/env bash
# The /voices row of make bench: GET /voices on make run's own
# configuration, four providers (Deepgram, ElevenLabs, Cartesia, Google)
# each answering its voice list 100 ms late (the provider mock's sticky
# delay_ms), no cache (VOICES_CACHE_TTL=0, so every request asks them all).
# waav asks them at once: one request should take ~100 ms (target ≤ 150);
# WaaV asks one after another: the sum of the four alone (≥ 400 ms), which
# the baseline column measures as each provider's ?provider= request in
# turn.  Prints one markdown row; exit 1 when the target is missed.
#
#   bench/voices.sh PREFIX     (NGINX_BIN, MODULE, VOICES_N: requests, 15)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-$top/build/ngx_http_waav_module.so}
N=${VOICES_N:-15}
providers=(deepgram elevenlabs cartesia google)

free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport'
}
mock_port=$(free_port)
port=$(free_port)
rm -rf "${prefix:?}"/*
mkdir -p "$prefix/logs"

perl "$top/t/mock/waav-mock.pl" daemon -l "http://127.0.0.1:$mock_port" \
    >"$prefix/logs/mock.log" 2>&1 &
mock_pid=$!
nginx_pid=
trap 'kill $mock_pid $nginx_pid 2>/dev/null || true' EXIT

env_=(PATH="$PATH" WAAV_RUN_PREFIX="$prefix/run" HOST=127.0.0.1 PORT="$port"
      WORKER_PROCESSES=1 RATE_LIMIT_REQUESTS_PER_SECOND=100000 VOICES_CACHE_TTL=0
      NGINX_BIN="$NGINX_BIN" MODULE="$MODULE"
      DEEPGRAM_API_KEY=test-deepgram-key DEEPGRAM_BASE_URL="http://127.0.0.1:$mock_port/deepgram"
      ELEVENLABS_API_KEY=test-elevenlabs-key ELEVENLABS_BASE_URL="http://127.0.0.1:$mock_port/elevenlabs"
      CARTESIA_API_KEY=test-cartesia-key CARTESIA_BASE_URL="http://127.0.0.1:$mock_port/cartesia"
      GOOGLE_API_KEY=test-google-key GOOGLE_BASE_URL="http://127.0.0.1:$mock_port/google/v1")
env -i "${env_[@]}" "$top/scripts/run.sh" --write >/dev/null
env -i "${env_[@]}" "$NGINX_BIN" -p "$prefix/run/" -c conf/waav.conf \
    -e "$prefix/run/logs/error.log" -g 'daemon off;' >/dev/null 2>&1 &
nginx_pid=$!

for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/" >/dev/null &&
        curl -fs "http://127.0.0.1:$mock_port/__mock/count" >/dev/null && break
    sleep 0.1
done
for p in "${providers[@]}"; do
    curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"delay_ms":100}' \
        "http://127.0.0.1:$mock_port/__mock/behavior?provider=$p&sticky=1"
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { curl -s -o "$prefix/last.json" -w '%{time_total}\n' "http://127.0.0.1:$port$1"; }

ms /voices >/dev/null   # warm: connections to the mock
fan=$(for _ in $(seq "$N"); do ms /voices; done | median | awk '{ printf "%.1f", $1 * 1000 }')
keys=$(perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); print join(",", sort keys %$j)' <"$prefix/last.json")
seq_=$(for _ in $(seq "$N"); do
           t=0
           for p in "${providers[@]}"; do
               t=$(awk -v a="$t" -v b="$(ms "/voices?provider=$p")" 'BEGIN { print a + b }')
           done
           echo "$t"
       done | median | awk '{ printf "%.1f", $1 * 1000 }')

verdict=$(awk -v f="$fan" 'BEGIN { print (f <= 150) ? "ok" : "ABOVE TARGET" }')
[[ $keys == cartesia,deepgram,elevenlabs,google ]] || verdict="WRONG ANSWER ($keys)"
printf '| GET /voices: 4 providers at 100 ms each, ms, median of %s (waav at once vs one after another as WaaV) | %s ms | %s ms | %s× | ≤ 150 ms | %s | |\n' \
    "$N" "$fan" "$seq_" "$(awk -v a="$fan" -v b="$seq_" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')" "$verdict"
[[ $verdict == ok ]]
