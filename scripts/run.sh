#!/usr/bin/env bash
# Starts nginx in the foreground with the waav module and conf/waav.conf.
#   run.sh          serve on HOST:PORT (default 127.0.0.1:3001) until Ctrl-C
#   run.sh --test   only `nginx -t` the same configuration
#   run.sh --write  only write the configuration (tests and make bench start
#                   nginx on it themselves)
#
#   WAAV_RUN_PREFIX   nginx prefix (build/run)
#   WAAV_DASHBOARD_DIR  serve WaaV's dashboard (clients_sdk/dashboard) from
#                     this directory at /dashboard/
#   MODULE            the module; set but empty: waav is built into NGINX_BIN
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-3001}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE-build/ngx_http_waav_module.so}
[[ -z $MODULE || $MODULE == /* ]] || MODULE=$top/$MODULE
prefix=${WAAV_RUN_PREFIX:-$top/build/run}

rm -rf "$prefix/conf"
mkdir -p "$prefix"/{conf,logs,modules}
cp -a "$top/conf/." "$prefix/conf/"
mkdir -p "$prefix/conf/run.d"
if [[ -n $MODULE ]]; then
    ln -sf "$MODULE" "$prefix/modules/ngx_http_waav_module.so"
else
    sed -i '/^load_module /d' "$prefix/conf/waav.conf"
fi

# speech to text's default providers (/listen: deepgram, /v1/audio/
# transcriptions: openai) without their keys: the `local` provider, so
# that the first examples transcribe with no account
[[ -n ${DEEPGRAM_API_KEY:-} ]] ||
    sed -i 's/^\( *\)waav_stt deepgram;/\1waav_stt local;/' "$prefix/conf/waav.conf"
[[ -n ${OPENAI_API_KEY:-} ]] ||
    sed -i 's/^\( *\)waav_stt openai;/\1waav_stt local;/' "$prefix/conf/waav.conf"
# and /speak's: a body naming no provider speaks with `local` when no
# text-to-speech provider has a key (or, optional key, a base URL); so does
# a /ws config whose tts_config names none
tts_keyed=
while IFS=$'\t' read -r _ tts _ key key_env url_env _ _ _ _ _ _ _ _ _ _ _ \
        file_env; do
    [[ $tts == yes ]] || continue
    case $key in
        required) var=$key_env ;;
        optional) var=$url_env ;;
        *)        continue ;;
    esac
    [[ -z ${!var:-} ]] || tts_keyed=$var
    # a key in a file a variable names (GOOGLE_APPLICATION_CREDENTIALS)
    [[ ${file_env:--} == - || -z ${!file_env:-} ]] || tts_keyed=$file_env
done < <(tail -n +2 "$top/scripts/providers.tsv")
[[ -n $tts_keyed ]] ||
    sed -i -e 's/^\( *\)waav_tts;/\1waav_tts waav default=local;/' \
        -e 's/^\( *\)waav_ws;/\1waav_ws tts_default=local;/' "$prefix/conf/waav.conf"

workers=${WORKER_PROCESSES:-auto}
[[ $workers == auto || $workers =~ ^[1-9][0-9]*$ ]] || {
    echo "waav: WORKER_PROCESSES must be auto or a positive integer" >&2
    exit 1
}
echo "worker_processes $workers;" >"$prefix/conf/run.d/main.conf"
# the `local` provider's engines (espeak-ng) run in this pool of each worker
local_threads=${WAAV_LOCAL_THREADS:-2}
[[ $local_threads =~ ^[1-9][0-9]{0,2}$ ]] || {
    echo "waav: WAAV_LOCAL_THREADS must be an integer from 1 to 999" >&2
    exit 1
}
echo "thread_pool waav_local threads=$local_threads max_queue=1024;" \
    >>"$prefix/conf/run.d/main.conf"

# where nginx spools request bodies and provider answers.  Started as root,
# nginx runs its workers as nobody, who must reach these directories: when
# the prefix is out of nobody's reach (a checkout under /root), they live in
# a directory of their own in /tmp (kept for the next start), nobody's.
temp=$prefix/temp
if ((EUID == 0)); then
    echo "user nobody nogroup;" >>"$prefix/conf/run.d/main.conf"
    if ! runuser -u nobody -- test -x "$prefix" 2>/dev/null; then
        temp=$(cat "$prefix/temp.dir" 2>/dev/null || true)
        if [[ -z $temp || -L $temp || ! -d $temp
              || $(stat -c %u "$temp") != 0 ]]; then
            temp=$(mktemp -d "${TMPDIR:-/tmp}/waav-temp.XXXXXX")
            echo "$temp" >"$prefix/temp.dir"
        fi
        chmod 711 "$temp"
    fi
fi
temps=(client_body proxy fastcgi uwsgi scgi)
for t in "${temps[@]}"; do
    mkdir -p "$temp/$t"
    ((EUID != 0)) || chown nobody:nogroup "$temp/$t"
    echo "${t}_temp_path $temp/$t;"
done >"$prefix/conf/run.d/temp.conf"

# the access log to stdout: by default written in 4 KiB blocks, at least
# once a second, rather than one write(2) per request, which cost GET / ~10 %
# at 50 connections (make bench).  4 KiB is PIPE_BUF: when stdout is a pipe
# (a supervisor, docker logs), each block is written at once, so lines from
# several workers never interleave.  unbuffered: each line at once; off: none
# The format is nginx's combined, then the provider called, its model and
# HTTP status, the time to the first audio byte, the text's characters or
# the audio's seconds, the limits' result, the tenant and, for a /ws
# session, its duration, frames and bytes in and out ("-": none).
# ACCESS_LOG_FORMAT=json: conf/waav/log-json.conf's, one JSON object a line.
log_format='log_format waav '\''$remote_addr - $remote_user [$time_local] '\''
    '\''"$request" $status $body_bytes_sent "$http_referer" '\''
    '\''"$http_user_agent" provider=$waav_provider model="$waav_model" '\''
    '\''provider_status=$waav_provider_status ttfb=$waav_ttfb '\''
    '\''tts_chars=$waav_tts_chars stt_seconds=$waav_stt_seconds '\''
    '\''limit=$waav_limit_result '\''
    '\''tenant="$waav_tenant" ws=$waav_ws_duration '\''
    '\''$waav_ws_frames_in/$waav_ws_frames_out '\''
    '\''$waav_ws_bytes_in/$waav_ws_bytes_out'\'';'
log_name=waav
case ${ACCESS_LOG_FORMAT:-text} in
    text)   ;;
    json)   log_format='include waav/log-json.conf;'; log_name=waav_json ;;
    *)      echo "waav: ACCESS_LOG_FORMAT must be text or json" >&2
            exit 1 ;;
esac
case ${ACCESS_LOG:-buffered} in
    buffered)   echo "$log_format"
                echo "access_log /dev/stdout $log_name buffer=4k flush=1s;" ;;
    unbuffered) echo "$log_format"
                echo "access_log /dev/stdout $log_name;" ;;
    off)        echo "access_log off;" ;;
    *)          echo "waav: ACCESS_LOG must be buffered, unbuffered or off" >&2
                exit 1 ;;
esac >"$prefix/conf/run.d/log.conf"

case $HOST in
    *:*) listen="[$HOST]:$PORT" ;;
    *)   listen="$HOST:$PORT" ;;
esac
echo "listen $listen;" >"$prefix/conf/run.d/listen.conf"

# the providers whose keys (or URLs) are set, at their base URLs
# GET /voices keeps voice lists for VOICES_CACHE_TTL seconds (300; 0: off)
summary=$(WAAV_VOICES_CACHE_PATH=$temp/voices_cache \
          WAAV_VOICES_CACHE_TTL=${VOICES_CACHE_TTL:-300} \
          "$top/scripts/providers-conf.sh" "$prefix/conf/waav" --env)

# AUTH_REQUIRED as WaaV's parse_bool reads it: true, 1, yes / false, 0, no,
# in any case.  Anything else is refused: WaaV would read it as false, and
# a typo must not turn authentication off.
case ${AUTH_REQUIRED:-false} in
    [Tt][Rr][Uu][Ee]|1|[Yy][Ee][Ss])    auth=on ;;
    [Ff][Aa][Ll][Ss][Ee]|0|[Nn][Oo])    auth=off ;;
    *)  echo "waav: AUTH_REQUIRED must be true, 1, yes, false, 0 or no" \
             "(any case), not \"$AUTH_REQUIRED\"" >&2
        exit 1 ;;
esac
# WaaV's external auth service: both variables or neither, the key readable
if [[ -n ${AUTH_SERVICE_URL:-} || -n ${AUTH_SIGNING_KEY_PATH:-} ]]; then
    [[ -n ${AUTH_SERVICE_URL:-} ]] || {
        echo "waav: AUTH_SERVICE_URL is required when AUTH_SIGNING_KEY_PATH" \
             "is set" >&2
        exit 1
    }
    [[ -n ${AUTH_SIGNING_KEY_PATH:-} ]] || {
        echo "waav: AUTH_SIGNING_KEY_PATH is required when AUTH_SERVICE_URL" \
             "is set" >&2
        exit 1
    }
    [[ -r $AUTH_SIGNING_KEY_PATH ]] || {
        echo "waav: AUTH_SIGNING_KEY_PATH file does not exist or cannot be" \
             "read: $AUTH_SIGNING_KEY_PATH" >&2
        exit 1
    }
fi
auth_service=
if [[ -n ${AUTH_SERVICE_URL:-} && -z ${AUTH_API_SECRETS_JSON:-}${AUTH_API_SECRET:-} ]]
then
    # a URL nginx can take literally: no variables, quotes or spaces
    url_re='^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/%:@!+,=-]*)?(\?[A-Za-z0-9._~/%:@!+,=&-]*)?$'
    [[ $AUTH_SERVICE_URL =~ $url_re ]] || {
        echo "waav: AUTH_SERVICE_URL must be an http:// or https:// URL" >&2
        exit 1
    }
    AUTH_TIMEOUT_SECONDS=${AUTH_TIMEOUT_SECONDS:-5}
    AUTH_CACHE_SECONDS=${AUTH_CACHE_SECONDS:-10}
    [[ $AUTH_TIMEOUT_SECONDS =~ ^[1-9][0-9]{0,4}$ &&
       $AUTH_CACHE_SECONDS =~ ^[0-9]{1,5}$ ]] || {
        echo "waav: AUTH_TIMEOUT_SECONDS must be a positive integer and" \
             "AUTH_CACHE_SECONDS an integer" >&2
        exit 1
    }
    [[ $AUTH_SIGNING_KEY_PATH != *[\"\;\$\\]* ]] || {
        echo "waav: AUTH_SIGNING_KEY_PATH may not contain \", ;, \$ or \\" >&2
        exit 1
    }
    auth_service=$AUTH_SERVICE_URL
    # WaaV POSTs to the URL as it is: "/" when it has no path
    [[ $auth_service =~ ^https?://[^/?]+$ ]] && auth_service+=/
fi

# on with no method: refused, as WaaV refuses to start
if [[ $auth == on && -z ${AUTH_API_SECRETS_JSON:-}${AUTH_API_SECRET:-} &&
      -z ${AUTH_SERVICE_URL:-} && -z ${AUTH_JWT_SECRET:-} &&
      -z ${AUTH_JWT_PUBLIC_KEY_PATH:-}${AUTH_JWT_JWKS_PATH:-} ]]; then
    echo "waav: AUTH_REQUIRED=$AUTH_REQUIRED but no auth method is" \
         "configured: set AUTH_API_SECRETS_JSON or AUTH_API_SECRET, or" \
         "AUTH_SERVICE_URL and AUTH_SIGNING_KEY_PATH (or AUTH_JWT_*)" >&2
    exit 1
fi

# Prometheus metrics at /metrics (METRICS=on, the default; off: neither
# the location nor the zone, nothing counted).  METRICS_AUTH: unset, the
# server's auth (AUTH_REQUIRED); false: public (a scraper on a private
# network); true: authenticated even with AUTH_REQUIRED=false (an auth
# method must be configured)
case ${METRICS:-on} in
    on|off) ;;
    *)  echo "waav: METRICS must be on or off" >&2; exit 1 ;;
esac
case ${METRICS_AUTH:-} in
    '')                                 metrics_auth= ;;
    [Tt][Rr][Uu][Ee]|1|[Yy][Ee][Ss])    metrics_auth=on ;;
    [Ff][Aa][Ll][Ss][Ee]|0|[Nn][Oo])    metrics_auth=off ;;
    *)  echo "waav: METRICS_AUTH must be true, 1, yes, false, 0 or no" >&2
        exit 1 ;;
esac
if [[ $metrics_auth == on && -z ${AUTH_API_SECRETS_JSON:-}${AUTH_API_SECRET:-} &&
      -z ${AUTH_SERVICE_URL:-} && -z ${AUTH_JWT_SECRET:-} &&
      -z ${AUTH_JWT_PUBLIC_KEY_PATH:-}${AUTH_JWT_JWKS_PATH:-} ]]; then
    echo "waav: METRICS_AUTH=$METRICS_AUTH but no auth method is configured" >&2
    exit 1
fi
# METRICS_TENANTS: the tenants counted on their own in the usage metrics
# (waav_tts_characters_total, waav_stt_audio_seconds_total); later ones are
# counted as tenant="other"
metrics_tenants=${METRICS_TENANTS:-50}
[[ $metrics_tenants =~ ^[0-9]{1,5}$ ]] || {
    echo "waav: METRICS_TENANTS must be an integer from 0 to 99999" >&2
    exit 1
}
{
    echo "# generated by scripts/run.sh"
    if [[ ${METRICS:-on} == on ]]; then
        echo "location = /metrics {"
        echo "    waav_metrics;"
        echo "    waav_limit off;"
        [[ -z $metrics_auth ]] || echo "    waav_auth $metrics_auth;"
        echo "}"
    fi
} >"$prefix/conf/run.d/metrics.conf"

# authentication and LiveKit, from WaaV's variables (secrets stay in the
# environment: the config names the variables, never the values)
{
    echo "# generated by scripts/run.sh"
    [[ -n ${AUTH_API_SECRETS_JSON:-} ]] &&
        echo "waav_auth_secrets_json env:AUTH_API_SECRETS_JSON;"
    [[ -n ${AUTH_API_SECRET:-} && -z ${AUTH_API_SECRETS_JSON:-} ]] &&
        echo "waav_auth_secret ${AUTH_API_SECRET_ID:-default} env:AUTH_API_SECRET;"
    [[ -n ${AUTH_JWT_SECRET:-} ]] &&
        echo "waav_auth_jwt_key hs256 env:AUTH_JWT_SECRET;"
    if [[ -n ${AUTH_JWT_PUBLIC_KEY_PATH:-} ]]; then
        if grep -q 'BEGIN PUBLIC KEY' "$AUTH_JWT_PUBLIC_KEY_PATH" 2>/dev/null &&
           openssl pkey -pubin -in "$AUTH_JWT_PUBLIC_KEY_PATH" -noout -text 2>/dev/null |
               grep -q 'ASN1 OID: prime256v1'; then
            echo "waav_auth_jwt_key es256 file:$AUTH_JWT_PUBLIC_KEY_PATH;"
        else
            echo "waav_auth_jwt_key rs256 file:$AUTH_JWT_PUBLIC_KEY_PATH;"
        fi
    fi
    [[ -n ${AUTH_JWT_JWKS_PATH:-} ]] &&
        echo "waav_auth_jwt_jwks \"file:$AUTH_JWT_JWKS_PATH\";"
    [[ -n ${AUTH_JWT_ISSUER:-} ]] && echo "waav_auth_jwt_issuer env:AUTH_JWT_ISSUER;"
    [[ -n ${AUTH_JWT_AUDIENCE:-} ]] && echo "waav_auth_jwt_audience env:AUTH_JWT_AUDIENCE;"
    [[ -n ${AUTH_JWT_TENANT_CLAIM:-} ]] &&
        echo "waav_auth_jwt_tenant_claim env:AUTH_JWT_TENANT_CLAIM;"
    # WaaV's external auth service, when no API secret is set (WaaV asks
    # it only then); its answers kept AUTH_CACHE_SECONDS (waav's)
    [[ -n $auth_service ]] &&
        echo "waav_auth_service location=/_waav/auth-service" \
             "\"signing_key=file:$AUTH_SIGNING_KEY_PATH\"" \
             "cache=${AUTH_CACHE_SECONDS}s;"
    if [[ -n ${REDIS_URL:-} ]]; then
        # one set of counters for every nginx sharing this Redis
        echo "waav_limit_zone waav_ip:10m key=\$binary_remote_addr redis=$REDIS_URL" \
             "redis_fail=${REDIS_FAIL:-open};"
    else
        echo "waav_limit_zone waav_ip:10m key=\$binary_remote_addr;"
    fi
    # MAX_WEBSOCKET_CONNECTIONS: this server's sessions, one key for all
    [[ -n ${MAX_WEBSOCKET_CONNECTIONS:-} ]] &&
        echo "waav_limit_zone waav_ws:64k key=all;"
    # the `local` provider: syntheses per worker at once, and waiting
    echo "waav_local pool=waav_local max=${WAAV_LOCAL_MAX:-4}" \
         "queue=${WAAV_LOCAL_QUEUE:-32}" \
         "sessions=${WAAV_LOCAL_SESSIONS:-${WAAV_LOCAL_MAX:-4}};"
    [[ ${METRICS:-on} == off ]] ||
        echo "waav_metrics_zone 1m tenants=$metrics_tenants;"
    echo "waav_livekit api_key=env:LIVEKIT_API_KEY api_secret=env:LIVEKIT_API_SECRET" \
         "url=${LIVEKIT_PUBLIC_URL:-http://localhost:7880};"
    true
} >"$prefix/conf/run.d/http.conf"

rps=${RATE_LIMIT_REQUESTS_PER_SECOND:-60}
burst=${RATE_LIMIT_BURST_SIZE:-10}
conns=${MAX_CONNECTIONS_PER_IP:-100}
sessions=${MAX_WEBSOCKET_CONNECTIONS:-}
for v in rps burst conns ${sessions:+sessions}; do
    [[ ${!v} =~ ^[0-9]{1,9}$ && ${!v} -gt 0 ]] || {
        echo "waav: RATE_LIMIT_REQUESTS_PER_SECOND, RATE_LIMIT_BURST_SIZE," \
             "MAX_CONNECTIONS_PER_IP and MAX_WEBSOCKET_CONNECTIONS must be" \
             "positive integers" >&2
        exit 1
    }
done
# WaaV's per-IP limiter, meaning requests per second (as WaaV's
# documentation says; WaaV itself turns it off at 100000 and above)
rate=
((rps < 100000)) && rate="waav_limit zone=waav_ip rate=${rps}r/s burst=$burst;"
{
    echo "waav_auth $auth;"
    [[ -z $rate ]] || echo "$rate"
    if [[ -n $auth_service ]]; then
        t=${AUTH_TIMEOUT_SECONDS}s
        host=${auth_service#*://}
        host=${host%%[/?]*}
        echo "location = /_waav/auth-service {"
        echo "    internal;"
        echo "    proxy_pass $auth_service;"
        echo "    proxy_http_version 1.1;"
        echo "    proxy_set_header Connection \"\";"
        echo "    proxy_connect_timeout $t;"
        echo "    proxy_send_timeout $t;"
        echo "    proxy_read_timeout $t;"
        echo "    proxy_next_upstream off;"
        echo "    subrequest_output_buffer_size 16k;"
        if [[ $auth_service == https://* ]]; then
            echo "    proxy_ssl_server_name on;"
            [[ $host =~ ^(.*):[0-9]+$ ]] && host=${BASH_REMATCH[1]}
            echo "    proxy_ssl_name $host;"
            echo "    proxy_ssl_verify on;"
            echo "    proxy_ssl_verify_depth 4;"
            echo "    proxy_ssl_trusted_certificate" \
                 "${WAAV_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt};"
            echo "    proxy_ssl_session_reuse on;"
        fi
        echo "}"
    fi
} >"$prefix/conf/run.d/server.conf"

# WaaV's CORS_ALLOWED_ORIGINS: "*" or origins (scheme://host[:port])
# separated by commas; unset, preflights are answered with no origin allowed
cors=same-origin
if [[ -n ${CORS_ALLOWED_ORIGINS:-} ]]; then
    cors=$(printf %s "$CORS_ALLOWED_ORIGINS" | tr -d ' \t')
    origin='[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?'
    [[ $cors == '*' || $cors =~ ^,*$origin(,+$origin)*,*$ ]] || {
        echo "waav: CORS_ALLOWED_ORIGINS must be \"*\" or origins" \
             "(scheme://host[:port]) separated by commas, not" \
             "\"$CORS_ALLOWED_ORIGINS\"" >&2
        exit 1
    }
fi
echo "waav_cors \"$cors\";" >"$prefix/conf/run.d/cors.conf"

# /ws's limits, as WaaV's on its sessions: this server's (503) and each
# peer IP's (429), with WaaV's texts; a location's waav_limit lines replace
# the server's, so the rate limit is here again
{
    echo "# generated by scripts/run.sh"
    [[ -z $rate ]] || echo "$rate"
    [[ -z $sessions ]] ||
        echo "waav_limit zone=waav_ws concurrency=$sessions status=503" \
             "\"message=Server at capacity. Please try again later.\"" \
             "code=SERVER_AT_CAPACITY;"
    echo "waav_limit zone=waav_ip concurrency=$conns" \
         "\"message=Too many connections from your IP address.\";"
} >"$prefix/conf/run.d/ws.conf"

# WaaV's dashboard (clients_sdk/dashboard) as static files at /dashboard/,
# same origin as the API: public, not rate limited (a page loads a dozen
# files at once), only the per-IP connection limit
dash=${WAAV_DASHBOARD_DIR:-}
{
    echo "# generated by scripts/run.sh (WAAV_DASHBOARD_DIR)"
    if [[ -n $dash ]]; then
        [[ $dash == /* && -f $dash/index.html && $dash != *[[:space:]\;\"\'\$\{\}]* ]] || {
            echo "waav: WAAV_DASHBOARD_DIR must be an absolute path, without" \
                 "spaces, quotes, ';', '\$' or braces, to a directory with" \
                 "index.html" >&2
            exit 1
        }
        echo "location = /dashboard { return 301 /dashboard/; }"
        echo "location /dashboard/ {"
        echo "    alias ${dash%/}/;"
        echo "    waav_auth off;"
        echo "    waav_limit zone=waav_ip concurrency=$conns;"
        echo "    types { text/html html; text/css css; text/javascript js mjs;"
        echo "            application/json json; image/svg+xml svg; }"
        echo "}"
    fi
} >"$prefix/conf/run.d/dashboard.conf"

if [[ ${1:-} == --test ]]; then
    exec "$NGINX_BIN" -p "$prefix/" -c conf/waav.conf -e stderr -t
fi
[[ ${1:-} == --write ]] && exit 0

echo "waav: listening on http://$listen/  (nginx $("$NGINX_BIN" -v 2>&1 | sed 's|.*/||'))"
echo "$summary"
[[ -n $tts_keyed ]] ||
    echo "waav: /speak and /ws naming no provider speak with local (no text-to-speech key set)"
echo "waav: authentication $auth (AUTH_REQUIRED=${AUTH_REQUIRED:-false})${auth_service:+, auth service $auth_service (timeout ${AUTH_TIMEOUT_SECONDS}s, answers kept ${AUTH_CACHE_SECONDS}s)}"
echo "waav: per IP: $( ((rps < 100000)) && echo "$rps r/s, burst $burst" || echo "no rate limit"), $conns /ws sessions, counters in ${REDIS_URL:+Redis (}${REDIS_URL:-shared memory}${REDIS_URL:+, fail ${REDIS_FAIL:-open})}"
echo "waav: CORS: ${CORS_ALLOWED_ORIGINS:-same origin only (CORS_ALLOWED_ORIGINS unset)}"
echo "waav: /ws sessions on this server: ${sessions:-unlimited} (MAX_WEBSOCKET_CONNECTIONS)"
[[ -z $dash ]] || echo "waav: WaaV's dashboard at http://$listen/dashboard/ ($dash)"
echo "waav: access log to stdout ${ACCESS_LOG:-buffered}$([[ ${ACCESS_LOG:-buffered} == buffered ]] && echo ' (4 KiB blocks, flushed every second)')"
echo "waav: Ctrl-C stops it"

exec "$NGINX_BIN" -p "$prefix/" -c conf/waav.conf -e stderr -g 'daemon off;'
