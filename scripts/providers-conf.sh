#!/usr/bin/env bash
# Writes the provider part of waav's nginx configuration:
#   DIR/upstreams.conf   http level: waav_provider lines and upstream{} pools
#   DIR/providers.conf   server level: one internal location per provider
#
#   providers-conf.sh DIR            every provider, default base URLs
#   providers-conf.sh DIR --env      from the environment, as `make run` does:
#                                    only providers with a key (or, for the
#                                    OpenAI-compatible one, a base URL), with
#                                    *_BASE_URL overrides; prints the summary
#
# conf/waav/{upstreams,providers}.conf are this script's output without --env
# (t/016-providers-conf.t checks it).
#
# Every proxy header a provider gets is written here, in each provider
# location (location_headers below), never in an enclosing block: nginx
# inherits proxy_set_header only into a location that sets none of its own,
# so a header set around the provider locations is silently dropped in them.
# Without an empty Connection (and HTTP/1.1) nginx sends "Connection:
# close" to the provider and every call pays a new TCP and TLS handshake:
# provider calls carry no Connection header, so $http_connection is empty
# for them; waav's WebSocket clients (src/ngx_http_waav_wsc.c) set
# "Connection: Upgrade" and "Upgrade: websocket" on their handshake, which
# these two lines pass on.
#
#   WAAV_CA_BUNDLE       CA file the provider certificates are checked with
#   WAAV_KEEPALIVE       idle connections kept per provider and worker (64)
#   WAAV_VOICES_CACHE_PATH  where GET /voices keeps provider voice lists
#                        (voices_cache, under nginx's prefix)
#   WAAV_VOICES_CACHE_TTL   how long, in seconds (300; 0: not cached)
set -euo pipefail

out=$1
mode=${2:-all}
ca=${WAAV_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
voices_path=${WAAV_VOICES_CACHE_PATH:-voices_cache}
voices_ttl=${WAAV_VOICES_CACHE_TTL:-300}
[[ $voices_ttl =~ ^[0-9]+$ ]] || {
    echo "waav: WAAV_VOICES_CACHE_TTL=$voices_ttl is not a number of seconds" >&2
    exit 1
}
keepalive=${WAAV_KEEPALIVE:-64}
[[ $keepalive =~ ^[1-9][0-9]*$ ]] || {
    echo "waav: WAAV_KEEPALIVE=$keepalive is not a positive integer" >&2
    exit 1
}

# The providers: scripts/providers.tsv, the provider registry
# (src/core/waav_registry.c) as build/waav-registry prints it; `make unit`
# checks it is current, `make registry-readme` rewrites it.
registry=${WAAV_REGISTRY:-$(dirname "$0")/providers.tsv}
providers=()
while IFS=$'\t' read -r name tts _stt keyrule keyvar urlvar url example _al \
        _title tokvar tokurl regionvar region streamvar streamurl uservar \
        filevar; do
    [[ -z $name || $name == \#* ]] && continue
    providers+=("$name $keyrule $keyvar $urlvar $url $example $tokvar $tokurl $regionvar $region $streamvar $streamurl $tts $uservar ${filevar:--}")
done <"$registry"

mkdir -p "$out"
up=$out/upstreams.conf
loc=$out/providers.conf

cat >"$up" <<'EOF'
# waav providers (http level), written by scripts/providers-conf.sh.
# Keys come from the environment of the nginx master (key=env:NAME), or a
# file (key=file:/path), never from this file.

EOF
# GET /voices: the providers' voice lists, kept by nginx (the -voices
# locations below, waav/voices-cache.conf)
{
    echo "proxy_cache_path $voices_path levels=1:2 keys_zone=waav_voices:1m"
    echo "                 max_size=64m inactive=1h use_temp_path=off;"
    echo
} >>"$up"
cat >"$loc" <<'EOF'
# waav provider locations (server level), written by
# scripts/providers-conf.sh.  Each location carries every proxy header its
# provider gets (a proxy_set_header outside it would not reach it); the
# other shared settings (timeouts, buffers) are in waav/proxy.conf, which
# the enclosing `location /_waav/` of conf/waav.conf includes.

EOF

# The headers of one provider location, all of them: HTTP/1.1 without
# "Connection: close" keeps the upstream{} keepalive pool in use.
location_headers() {   # host header
    echo "    proxy_http_version 1.1;"
    echo "    proxy_set_header Connection \$http_connection;"
    echo "    proxy_set_header Upgrade \$http_upgrade;"
    echo "    proxy_set_header Host $1;"
}

# an upstream{} pool and an internal location for one host:
# provider_location NAME URL VARIABLE (the one the URL comes from) [LINES]
# [UPSTREAM] (LINES: more directives for the location; UPSTREAM: a pool
# already written, for a second location to the same host)
provider_location() {
    local url=$2 scheme host port host_header path up_name
    if [[ ! $url =~ ^(https?)://([^/:]+|\[[0-9a-fA-F:.]+\])(:([0-9]+))?(/.*)?$ ]]; then
        echo "waav: $3=$url is not an http(s) URL" >&2
        exit 1
    fi
    scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]}
    port=${BASH_REMATCH[4]:-$([[ $scheme == https ]] && echo 443 || echo 80)}
    # the Host header names the port only when it is not the scheme's own
    host_header=$host
    [[ $port == "$([[ $scheme == https ]] && echo 443 || echo 80)" ]] ||
        host_header=$host:$port
    path=${BASH_REMATCH[5]%/}
    up_name=${5:-waav_${1//-/_}}

    [[ -n ${5:-} ]] || {
        echo "upstream $up_name {"
        echo "    server $host:$port;"
        echo "    keepalive $keepalive;"
        echo "    keepalive_timeout 60s;"
        echo "}"
        echo
    } >>"$up"

    {
        echo "location /_waav/$1/ {"
        echo "    proxy_pass $scheme://$up_name$path/;"
        location_headers "$host_header"
        if [[ $scheme == https ]]; then
            echo "    proxy_ssl_server_name on;"
            echo "    proxy_ssl_name $host;"
            echo "    proxy_ssl_verify on;"
            echo "    proxy_ssl_verify_depth 4;"
            echo "    proxy_ssl_trusted_certificate $ca;"
            echo "    proxy_ssl_session_reuse on;"
        fi
        [[ -z ${4:-} ]] || printf '%s\n' "$4"
        echo "}"
        echo
    } >>"$loc"
}

usable=() skipped=()

for p in "${providers[@]}"; do
    # a provider's type is its name; "-": no default base URL
    read -r name keyrule keyvar urlvar url example tokvar tokurl regionvar \
        region streamvar streamurl tts uservar filevar <<<"$p"
    type=$name
    # the key: the environment's (key=env:VAR), or a file a variable names
    # (Google's service account, GOOGLE_APPLICATION_CREDENTIALS) when set
    keyconf=env:$keyvar
    keyfile=
    if [[ $mode == --env && $filevar != - && -n ${!filevar:-} ]]; then
        keyfile=${!filevar}
        if [[ $keyfile != /* || $keyfile =~ [[:space:]\;\'\"\{\}] ]]; then
            echo "waav: $filevar=$keyfile is not an absolute path without" \
                 "blanks, quotes, braces or ;" >&2
            exit 1
        fi
        keyconf=file:$keyfile
    fi
    # a second secret sent with the key (Play.ht's user id): user=env:VAR
    user=
    [[ $uservar == - ]] || user=" user=env:$uservar"

    # an engine inside nginx (`local`): declared, nothing to reach
    if [[ $keyrule == embedded ]]; then
        echo "waav_provider $name type=$type;" >>"$up"
        usable+=("$name (inside nginx)")
        continue
    fi

    if [[ $mode == --env ]]; then
        url=${!urlvar:-$url}
        # several variables (A:B:C, joined by key=env:A:B:C): the first
        # says whether the provider is configured
        key=${keyvar%%:*}
        key=${!key:-}
        [[ -z $keyfile ]] || key=$keyfile
        if [[ $url == - ]]; then
            # nothing to reach without a base URL: not declared at all
            skipped+=("$name ($urlvar)")
            continue
        fi
        if [[ -z $key && $keyrule != optional ]]; then
            label=$keyvar
            [[ $filevar == - ]] || label="$keyvar or $filevar"
            skipped+=("$name ($label)")
            # declared without a key, so clients get PROVIDER_NOT_CONFIGURED
            # (no upstream: nothing to resolve at start)
            echo "waav_provider $name type=$type key=env:$keyvar;" >>"$up"
            continue
        fi
        if [[ $uservar != - && -z ${!uservar:-} ]]; then
            skipped+=("$name ($uservar)")
            # the key alone is no credential: declared without it
            echo "waav_provider $name type=$type;" >>"$up"
            continue
        fi
    elif [[ $url == - ]]; then
        url=$example    # e.g. Kokoro-FastAPI on its usual port
    fi

    # the token host: its variable, else (a key file) the host of the
    # file's token_uri, whose path the exchange requests there
    if [[ -n $keyfile && $tokvar != - && -z ${!tokvar:-} ]]; then
        uri=$(grep -o '"token_uri"[[:space:]]*:[[:space:]]*"[^"]*"' \
              "$keyfile" 2>/dev/null | sed 's/.*"\([^"]*\)"$/\1/') || true
        [[ ! $uri =~ ^(https?://[^/\"]+)/ ]] || tokurl=${BASH_REMATCH[1]}
    fi
    [[ $mode == --env && $tokvar != - ]] && tokurl=${!tokvar:-$tokurl}
    [[ $mode == --env && $streamvar != - ]] &&
        streamurl=${!streamvar:-$streamurl}

    # "{region}" in a URL: the provider's region (e.g. AZURE_SPEECH_REGION)
    if [[ $regionvar != - ]]; then
        reg=$region
        [[ $mode == --env ]] && reg=${!regionvar:-$region}
        if [[ ! $reg =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]]; then
            echo "waav: $regionvar=$reg is not a region ([a-z0-9-]+)" >&2
            exit 1
        fi
        url=${url//\{region\}/$reg}
        tokurl=${tokurl//\{region\}/$reg}
        streamurl=${streamurl//\{region\}/$reg}
    fi

    # "{NAME}" in a URL: that variable (IBM_WATSON_INSTANCE_ID); without it
    # (--env) the provider is not configured; without --env, its name
    missing=
    while [[ "$url $streamurl" =~ \{([A-Z][A-Z0-9_]*)\} ]]; do
        var=${BASH_REMATCH[1]}
        val=${!var:-}
        [[ $mode == --env ]] || val=${val:-$var}
        if [[ -z $val ]]; then
            missing=$var
            break
        fi
        if [[ ! $val =~ ^[A-Za-z0-9._-]+$ ]]; then
            echo "waav: $var=$val is not a URL path segment" >&2
            exit 1
        fi
        url=${url//\{$var\}/$val}
        streamurl=${streamurl//\{$var\}/$val}
    done
    if [[ -n $missing ]]; then
        skipped+=("$name ($missing)")
        echo "waav_provider $name type=$type key=env:$keyvar;" >>"$up"
        continue
    fi

    # a key that signs (AWS SigV4): for the host and path the location
    # sends to, and the region
    signs=
    [[ $keyrule == signed ]] && signs=" url=$url region=$reg"
    echo "waav_provider $name type=$type key=$keyconf$user$signs;" >>"$up"
    provider_location "$name" "$url" "$urlvar"

    # a token exchange: the token host's location, /_waav/NAME-token/; its
    # timeouts together stay under the 15 s an exchange may be in flight
    # (src/ngx_http_waav_cred.c), so waiting calls always see it end
    if [[ $tokvar != - ]]; then
        provider_location "$name-token" "$tokurl" "$tokvar" \
"    proxy_connect_timeout 2s;
    proxy_send_timeout 5s;
    proxy_read_timeout 5s;"
    fi

    # GET /voices: the provider's host through nginx's cache,
    # /_waav/NAME-voices/ (the same upstream pool)
    if [[ $tts == yes ]]; then
        if ((voices_ttl > 0)); then
            cache_valid="    proxy_cache_valid 200 ${voices_ttl}s;"
        else
            cache_valid="    proxy_no_cache 1;
    proxy_cache_bypass 1;"
        fi
        provider_location "$name-voices" "$url" "$urlvar" \
"    include waav/voices-cache.conf;
$cache_valid" "waav_${name//-/_}"
    fi

    # streaming speech to text on a host of its own: /_waav/NAME-stream/
    if [[ $streamvar != - ]]; then
        provider_location "$name-stream" "$streamurl" "$streamvar"
    fi

    usable+=("$name ($url${keyfile:+, key: $filevar=$keyfile})")
done

if [[ $mode == --env ]]; then
    if [[ ${#usable[@]} -gt 0 ]]; then
        echo "waav: providers usable:"
        printf '        %s\n' "${usable[@]}"
    else
        echo "waav: no provider usable (set DEEPGRAM_API_KEY, OPENAI_API_KEY, ...)"
    fi
    if [[ ${#skipped[@]} -gt 0 ]]; then
        echo "waav: providers not configured:"
        printf '        %s\n' "${skipped[@]}"
    fi
fi
