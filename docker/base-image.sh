#!/usr/bin/env bash
# Makes the base images docker/Dockerfile starts FROM, debian:12 and
# debian:12-slim, on a machine that reaches no registry: debootstrap
# (minbase) bookworm from the Debian mirror apt uses here (TTE_DEBIAN_MIRROR
# overrides it), with this machine's apt sources inside, then `docker import`.
# An image that exists is left alone (--force makes both again).
#
#   docker/base-image.sh [--force]
#
# debian:12-slim is the same system without documentation, manual pages and
# translations, and dpkg told to leave them out of later installs (as Debian's
# own slim images do). Needs root, debootstrap and a running Docker engine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "base-image.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

have() { docker image inspect "$1" >/dev/null 2>&1; }
if [ "$force" -eq 0 ] && have debian:12 && have debian:12-slim; then
  echo "base images: debian:12 and debian:12-slim exist"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "base-image.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

. "$root/device-fw/third_party/debian_mirror.sh"
mirror=$(debian_mirror)
work=$(mktemp -d /var/tmp/tte-base-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "base images: debootstrap --variant=minbase bookworm from $mirror (a minute or two)"
if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  echo "base-image.sh: debootstrap failed (the log's end above; set TTE_DEBIAN_MIRROR to another mirror?)" >&2
  exit 1
fi
# apt inside the images uses the sources this machine's apt uses.
rm -f "$rootfs/etc/apt/sources.list"
mkdir -p "$rootfs/etc/apt/sources.list.d"
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$file" ] && cp "$file" "$rootfs/etc/apt/sources.list.d/host-$(basename "$file" | sed 's/^sources\.list$/sources.list.list/')"
done
[ -n "$(ls "$rootfs/etc/apt/sources.list.d")" ] ||
  echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list.d/debian.list"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
# What Debian's own images set: apt keeps no downloaded packages, no
# translations; no daemons started by package scripts (there is no init system).
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

import_image() {
  local tag=$1
  tar --numeric-owner -C "$rootfs" -c . |
    docker import --change 'CMD ["bash"]' - "$tag" >/dev/null
  echo "base images: $tag, $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}')"
}
import_image debian:12

# The slim variant: the same paths Debian's slim images exclude.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
import_image debian:12-slim
