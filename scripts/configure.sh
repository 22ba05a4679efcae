#!/usr/bin/env bash
# Configures an out-of-tree copy of an nginx source tree for building waav:
# the dynamic module (--add-dynamic-module), or with STATIC=1 a whole nginx
# with waav built in (--add-module; needs nginx's full source).
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
# Debian's nginx-dev: the exact flags /usr/sbin/nginx was built with (a
# full source tree, for a static build, takes them from there too)
conf_flags=conf_flags
[[ -f $conf_flags ]] || conf_flags=/usr/share/nginx/src/conf_flags
if [[ -f $conf_flags ]]; then
    # shellcheck disable=SC1090
    source "$conf_flags"
    flags=("${NGX_CONF_FLAGS[@]}")
else
    flags=(--with-compat --with-http_ssl_module --with-threads)
fi

if [[ -n ${NGINX_CONFIGURE_ARGS:-} ]]; then
    read -r -a extra <<<"$NGINX_CONFIGURE_ARGS"
    flags+=("${extra[@]}")
fi

if [[ ${STATIC:-0} == 1 ]]; then
    add=--add-module="$waav"
else
    add=--add-dynamic-module="$waav"
fi

./configure "${flags[@]}" "$add" >"$out/configure.log" 2>&1 || {
    tail -n 20 "$out/configure.log" >&2
    exit 1
}
grep -E 'checking for (cJSON|libjwt|hiredis|OpenSSL library for waav)' \
    "$out/configure.log" || true

# the waav files, and only they, get the strict warnings and sanitizers:
# the compile line of each objs/addon/ target
awk -v extra="$cflags" '
    /^objs\/addon\// { addon = 1 }
    addon && /\$\(CC\) -c/ { sub(/\$\(CFLAGS\)/, "$(CFLAGS) " extra); addon = 0 }
    { print }
' objs/Makefile >objs/Makefile.waav
mv objs/Makefile.waav objs/Makefile
if [[ -n $sanflags ]]; then
    sed -i "s|^\(\t\$(LINK) -o objs/ngx_http_waav_module.so\)|\1 $sanflags|" \
        objs/Makefile
fi
