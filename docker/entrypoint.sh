#!/bin/sh
# The image's command: make run's configuration, generated from the
# environment by scripts/run.sh (HOST, PORT, *_API_KEY, AUTH_*, REDIS_URL,
# ... as README's `make run` table says), with Debian's nginx and the
# packaged module, in the foreground.  Listens on 0.0.0.0:3001 unless HOST
# and PORT say otherwise; the prefix (logs, caches, spooled bodies) is
# /var/lib/waav.  Keys stay in the environment: the configuration names the
# variables, never the values.
#   entrypoint.sh            serve
#   entrypoint.sh --test     nginx -t the generated configuration
#   entrypoint.sh CMD ...    run CMD instead (a shell, for instance)
set -eu

case ${1:-} in
    ''|--test) ;;
    *) exec "$@" ;;
esac

export HOST="${HOST:-0.0.0.0}" PORT="${PORT:-3001}"
export NGINX_BIN=/usr/sbin/nginx
export MODULE=/usr/lib/nginx/modules/ngx_http_waav_module.so
export WAAV_RUN_PREFIX="${WAAV_RUN_PREFIX:-/var/lib/waav}"
exec /usr/local/share/waav/scripts/run.sh "$@"
