#!/usr/bin/env bash
# Starts nginx in the foreground with the waav module and conf/waav.conf.
#   run.sh          serve on HOST:PORT (default 127.0.0.1:3001) until Ctrl-C
#   run.sh --test   only `nginx -t` the same configuration
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-3001}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-build/ngx_http_waav_module.so}
[[ $MODULE == /* ]] || MODULE=$top/$MODULE
prefix=$top/build/run

rm -rf "$prefix/conf"
mkdir -p "$prefix"/{conf,logs,modules} \
         "$prefix"/temp/{client_body,proxy,fastcgi,uwsgi,scgi}
cp -a "$top/conf/." "$prefix/conf/"
mkdir -p "$prefix/conf/run.d"
ln -sf "$MODULE" "$prefix/modules/ngx_http_waav_module.so"

case $HOST in
    *:*) listen="[$HOST]:$PORT" ;;
    *)   listen="$HOST:$PORT" ;;
esac
echo "listen $listen;" >"$prefix/conf/run.d/listen.conf"

# the providers whose keys (or URLs) are set, at their base URLs
summary=$("$top/scripts/providers-conf.sh" "$prefix/conf/waav" --env)

if [[ ${1:-} == --test ]]; then
    exec "$NGINX_BIN" -p "$prefix/" -c conf/waav.conf -e stderr -t
fi

echo "waav: listening on http://$listen/  (nginx $("$NGINX_BIN" -v 2>&1 | sed 's|.*/||'))"
echo "$summary"
echo "waav: Ctrl-C stops it"

exec "$NGINX_BIN" -p "$prefix/" -c conf/waav.conf -e stderr -g 'daemon off;'
