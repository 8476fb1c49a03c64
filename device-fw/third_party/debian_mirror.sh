# Sourced (bash): debian_mirror prints the Debian mirror apt is configured with
# (deb822 .sources or a one-line list), or TTE_DEBIAN_MIRROR when set; used by
# fetch.sh (the firmware's third-party sources) and docker/base-image.sh.
debian_mirror() {
  local uri
  if [ -n "${TTE_DEBIAN_MIRROR:-}" ]; then
    echo "${TTE_DEBIAN_MIRROR%/}"
    return
  fi
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }')
  fi
  uri="${uri:-http://deb.debian.org/debian}"
  echo "${uri%/}"
}

