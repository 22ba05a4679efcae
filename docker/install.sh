#!/bin/sh
# The image's install step (Dockerfile's RUN), runnable without docker:
#   install.sh SRC   SRC holds the .deb (SRC/*.deb or SRC/build/*.deb) and
#                    waav's scripts/run.sh, scripts/providers-conf.sh,
#                    scripts/providers.tsv, conf/ and docker/entrypoint.sh
# Installs Debian's nginx with the waav module package, and the make-run
# configuration generator into /usr/local/share/waav (entrypoint.sh runs it).
set -eu

src=$1
deb=$(ls "$src"/libnginx-mod-http-waav_*_amd64.deb \
         "$src"/build/libnginx-mod-http-waav_*_amd64.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "waav: no libnginx-mod-http-waav .deb in $src" >&2; exit 1; }
share=/usr/local/share/waav

# services are not started while packages install (nginx would take port 80
# of a build host or a chroot's network); the entrypoint starts nginx
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# the .deb pulls nginx (Recommends) and the libraries; run.sh needs openssl
# (ES256 keys) and runuser (util-linux, essential); curl: HEALTHCHECK
apt-get install -y -qq --no-install-recommends nginx "$deb" ca-certificates \
    openssl curl >/dev/null
rm -rf /var/lib/apt/lists/*

mkdir -p "$share/scripts" "$share/docker" /var/lib/waav
cp "$src/scripts/run.sh" "$src/scripts/providers-conf.sh" \
   "$src/scripts/providers.tsv" "$share/scripts/"
cp -R "$src/conf" "$share/"
cp "$src/docker/entrypoint.sh" "$share/docker/"
chmod 755 "$share/scripts/run.sh" "$share/scripts/providers-conf.sh" \
          "$share/docker/entrypoint.sh"
# nginx, as Debian installed it, loads the module too
nginx -t -q
echo "waav: installed $(dpkg-query -W -f='${Package} ${Version}' libnginx-mod-http-waav)"
