#!/usr/bin/env bash
# Unpacks Debian's nginx source into DIR (default /tmp/waav-nginx-src), for
# a static build of waav (--add-module): the exact version /usr/sbin/nginx
# comes from, or the nearest 1.22.1 the archive still serves.  Enables the
# deb-src lines it needs.  Never unpacks into the repository.
set -euo pipefail

dir=${1:-/tmp/waav-nginx-src}
[[ -x $dir/configure && -f $dir/src/core/nginx.c ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi

src_list=/etc/apt/sources.list.d/waav-deb-src.sources
if ! apt-cache showsrc nginx 2>/dev/null | grep -q '^Version:'; then
    $SUDO tee "$src_list" >/dev/null <<'END'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
END
    $SUDO apt-get update -qq
fi

"$(dirname "$0")"/deps.sh dpkg-dev

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

want=$(dpkg-query -W -f='${Version}' nginx 2>/dev/null || true)
# the mirror may have dropped the exact version's .dsc: take another 1.22.1
for v in ${want:+"nginx=$want"} nginx/bookworm-security nginx/bookworm nginx; do
    rm -rf ./*
    if apt-get source -qq "$v" >/dev/null 2>&1 && compgen -G 'nginx-*/configure' >/dev/null; then
        break
    fi
done

src=$(compgen -G 'nginx-*/configure' | head -n 1 || true)
if [[ -z $src ]]; then
    echo "waav: could not fetch nginx's source (apt-get source nginx)" >&2
    exit 1
fi

rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$(dirname "$src")" "$dir"
echo "waav: nginx source in $dir"
