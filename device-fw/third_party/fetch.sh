#!/usr/bin/env bash
# Fetches the networked firmware's third-party sources (sources.txt) into DEST:
#   device-fw/third_party/fetch.sh DEST
# For each source: the orig tarball from the Debian pool of the mirror apt uses
# (TTE_DEBIAN_MIRROR overrides it), checked against the pinned SHA-256, unpacked
# into DEST/<top directory> with the project's patches (patches/<name>/*.patch)
# applied. Tarballs are kept in DEST/downloads, so a second run needs no network;
# a source whose tarball and patches are unchanged is left as it is.
# Exit status 1, with a message naming the source and the address, when a
# tarball cannot be fetched, does not match its pin, or a patch does not apply.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:?usage: fetch.sh DEST}"
mkdir -p "$dest/downloads"
dest="$(cd "$dest" && pwd)"

fail() {
  printf 'tte firmware: %s\n' "$*" >&2
  exit 1
}

# debian_mirror: the Debian mirror apt uses (shared with docker/base-image.sh).
. "$(dirname "$0")/debian_mirror.sh"

mirror="$(debian_mirror)"

fetch_one() {
  local name="$1" version="$2" suite="$3" pool="$4" file="$5" sha256="$6" top="$7"
  local url="$mirror/pool/$pool/$file"
  local tarball="$dest/downloads/$file"
  local patches=()
  if [ -d "$here/patches/$name" ]; then
    mapfile -t patches < <(find "$here/patches/$name" -name '*.patch' | sort)
  fi
  # What the unpacked tree was made from: the tarball's pin and the patches' contents.
  local stamp
  stamp="$sha256 $(cat "${patches[@]}" /dev/null | sha256sum | cut -d' ' -f1)"
  if [ -f "$dest/$top/.tte-source" ] && [ "$(cat "$dest/$top/.tte-source")" = "$stamp" ]; then
    echo "  $name $version (Debian $suite): up to date in $dest/$top" >&2
    return
  fi

  if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum --quiet -c - 2>/dev/null; then
    echo "  $name $version (Debian $suite): fetching $url" >&2
    local error
    if ! error=$(curl -fsSL --connect-timeout 20 --max-time 600 --retry 2 -o "$tarball.part" "$url" 2>&1); then
      rm -f "$tarball.part"
      fail "could not fetch $name $version (Debian $suite's source) from $url: ${error:-no answer}." \
        "Set TTE_DEBIAN_MIRROR to a Debian mirror that carries it, or put $file into $dest/downloads/."
    fi
    local got
    got=$(sha256sum "$tarball.part" | cut -d' ' -f1)
    if [ "$got" != "$sha256" ]; then
      rm -f "$tarball.part"
      fail "$file from $url has SHA-256 $got, not the $sha256 pinned in device-fw/third_party/sources.txt" \
        "(the one Debian $suite's Sources index lists): refusing to build with it."
    fi
    mv "$tarball.part" "$tarball"
  fi

  echo "  $name $version: unpacking into $dest/$top" >&2
  local work="$dest/.unpack-$name"
  rm -rf "$work"
  mkdir -p "$work"
  tar -xf "$tarball" -C "$work" || fail "cannot unpack $tarball"
  [ -d "$work/$top" ] || fail "$tarball holds no $top/ directory"
  local patch
  for patch in "${patches[@]}"; do
    if ! (cd "$work/$top" && patch -p1 --forward --batch --silent <"$patch") >&2; then
      fail "patch ${patch#"$here/"} does not apply to $name $version"
    fi
  done
  echo "$stamp" >"$work/$top/.tte-source"
  rm -rf "${dest:?}/$top"
  mv "$work/$top" "$dest/$top"
  rm -rf "$work"
}

echo "third-party sources for the firmware (Debian mirror $mirror):" >&2
while read -r name version suite pool file sha256 top; do
  case "$name" in '' | '#'*) continue ;; esac
  fetch_one "$name" "$version" "$suite" "$pool" "$file" "$sha256" "$top"
done <"$here/sources.txt"
