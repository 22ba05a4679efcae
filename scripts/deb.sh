#!/usr/bin/env bash
# Builds libnginx-mod-http-waav_VERSION_amd64.deb as Debian ships its nginx
# modules (libnginx-mod-http-echo, libnginx-mod-http-geoip):
#   /usr/lib/nginx/modules/ngx_http_waav_module.so      (stripped)
#   /usr/share/nginx/modules-available/mod-http-waav.conf  (load_module)
#   /etc/nginx/modules-enabled/50-mod-http-waav.conf  -> the above, made by
#                                 the postinst, moved away by prerm/postrm
#   /etc/nginx/waav/*.conf        conf/waav's snippets (conffiles), for
#                                 `include waav/upstreams.conf;` and co.
#   /usr/share/doc/libnginx-mod-http-waav/examples/  conf/waav.conf, conf/examples
# Depends on nginx's ABI (nginx-abi-1.22.1-7: what Debian's nginx Provides
# and its module packages Depend on), the libraries the .so links
# (dpkg-shlibdeps) and the local provider's model (pocketsphinx-en-us).
#
#   deb.sh MODULE OUTDIR   staging in OUTDIR/deb/, the .deb in OUTDIR,
#                          then lintian (errors fail, warnings are shown)
#
# The version is NGX_HTTP_WAAV_VERSION (src/ngx_http_waav_module.h), the
# one the module reports.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
module=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
pkg=libnginx-mod-http-waav
src=$top/pkg/deb

version=$(sed -n 's/^#define NGX_HTTP_WAAV_VERSION  *"\(.*\)"$/\1/p' \
          "$top/src/ngx_http_waav_module.h")
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || {
    echo "waav: no NGX_HTTP_WAAV_VERSION in src/ngx_http_waav_module.h" >&2
    exit 1
}
# the ABI the module was built against: Debian's nginx Provides it
abi=$(dpkg-query -W -f='${Provides}\n' nginx | tr ',' '\n' |
      sed -n 's/^ *\(nginx-abi-[^ ]*\).*/\1/p')
[[ -n $abi ]] || { echo "waav: nginx provides no nginx-abi-*" >&2; exit 1; }

stage=$out/deb/$pkg
rm -rf "$out/deb"
mkdir -p "$stage"/{DEBIAN,usr/lib/nginx/modules,usr/share/nginx/modules-available} \
         "$stage/usr/share/doc/$pkg/examples" "$stage/etc/nginx/waav"

# the module, stripped as dh_strip does
so=$stage/usr/lib/nginx/modules/ngx_http_waav_module.so
install -m 644 "$module" "$so"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$so"

install -m 644 "$src/mod-http-waav.conf" "$stage/usr/share/nginx/modules-available/"
install -m 644 "$top"/conf/waav/*.conf "$stage/etc/nginx/waav/"
install -m 644 "$top/conf/waav.conf" "$top"/conf/examples/*.conf \
    "$stage/usr/share/doc/$pkg/examples/"
install -m 644 "$src/copyright" "$stage/usr/share/doc/$pkg/"
gzip -9n <"$top/README.md" >"$stage/usr/share/doc/$pkg/README.md.gz"

# a native package's changelog: this version, dated by the last commit
date=$(git -C "$top" log -1 --format=%cD 2>/dev/null ||
       date -R -r "$top/src/ngx_http_waav_module.h")
maint=$(sed -n 's/^Maintainer: //p' "$src/control.in")
printf '%s (%s) unstable; urgency=medium\n\n  * %s\n\n -- %s  %s\n' \
    "$pkg" "$version" "waav $version, built from its repository." \
    "$maint" "$date" | gzip -9n >"$stage/usr/share/doc/$pkg/changelog.gz"

install -m 755 "$src"/{postinst,prerm,postrm} "$stage/DEBIAN/"
(cd "$stage" && find etc -type f -printf '/%p\n' | sort) >"$stage/DEBIAN/conffiles"

# the shared libraries' packages, as dh_shlibdeps finds them
shlibs=$(cd "$out/deb" && mkdir -p debian && touch debian/control &&
         dpkg-shlibdeps -O "$so" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "waav: dpkg-shlibdeps found nothing" >&2; exit 1; }
rm -rf "$out/deb/debian"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@NGINX_ABI@/$abi/" \
    -e "s/@SHLIBS@/$shlibs/" "$src/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -printf '%P\n' | sort |
     sed 's|^|usr/|' | xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage"/DEBIAN/{control,md5sums,conffiles}

deb=$out/${pkg}_${version}_amd64.deb
rm -f "$out/${pkg}"_*_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "waav: $deb"
dpkg-deb -f "$deb" Depends | sed 's/^/waav: Depends: /'

if [[ ${LINTIAN:-1} != 0 ]]; then
    # errors fail the build; warnings and information are printed
    lintian --fail-on error --tag-display-limit 0 "$deb"
    echo "waav: lintian: no errors"
fi
