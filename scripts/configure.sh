#!/usr/bin/env bash
# Configures an out-of-tree copy of an nginx source tree for building the
# waav dynamic module.
#   configure.sh NGINX_SRC NGX_BUILD WAAV_DIR WAAV_CFLAGS SAN_FLAGS
set -euo pipefail

src=$1 out=$2 waav=$3 cflags=$4 sanflags=$5

if [[ ! -x $src/configure && ! -f $src/auto/configure ]]; then
    echo "waav: $src is not an nginx source tree (apt-get install nginx-dev," \
         "or make NGINX_SRC=/path/to/nginx-x.y.z)" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out"
cp -a "$src/." "$out/src"
cd "$out/src"

# upstream trees keep configure in auto/ until `make release`
[[ -x configure ]] || cp auto/configure configure

flags=()
if [[ -f conf_flags ]]; then
    # Debian's nginx-dev: the exact flags /usr/sbin/nginx was built with
    # shellcheck disable=SC1091
    source conf_flags
    flags=("${NGX_CONF_FLAGS[@]}")
else
    flags=(--with-compat --with-http_ssl_module --with-threads)
fi

if [[ -n ${NGINX_CONFIGURE_ARGS:-} ]]; then
    read -r -a extra <<<"$NGINX_CONFIGURE_ARGS"
    flags+=("${extra[@]}")
fi

./configure "${flags[@]}" --add-dynamic-module="$waav" >"$out/configure.log" 2>&1 || {
    tail -n 20 "$out/configure.log" >&2
    exit 1
}
grep -E 'checking for (cJSON|libjwt|hiredis|OpenSSL library for waav)' \
    "$out/configure.log" || true

# the waav files, and only they, get the strict warnings and sanitizers
sed -i "s|^CFLAGS = \(.*\)|CFLAGS = \1 $cflags|" objs/Makefile
if [[ -n $sanflags ]]; then
    sed -i "s|^\(\t\$(LINK) -o objs/ngx_http_waav_module.so\)|\1 $sanflags|" \
        objs/Makefile
fi
