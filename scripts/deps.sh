#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet.
set -euo pipefail

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "waav: installing Debian packages: ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "waav: run as root, or: apt-get install ${missing[*]}" >&2
        exit 1
    fi
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
# the package lists on a fresh machine may be empty or stale
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Debian starts the services it installs; waav runs its own instances
for svc in nginx redis-server; do
    if [[ " ${missing[*]} " == *" $svc "* ]]; then
        $SUDO service "$svc" stop >/dev/null 2>&1 || true
    fi
done
exit 0
