#!/usr/bin/env bash
# Installs the Debian packages that the end-to-end tests drive as real peers (OpenSSH, FreeRDP,
# Xvfb, Chromium, xmlsec1, pysaml2, wrk), skipping apt entirely when all are already present.
# Safe to run repeatedly; it waits for another apt run instead of failing on the dpkg lock.
set -euo pipefail

packages=(
  openssh-server openssh-client netcat-openbsd socat iproute2
  freerdp2-x11 freerdp2-shadow-x11 winpr-utils xvfb xauth
  chromium xmlsec1 python3-pysaml2 wrk
)

missing=()
for pkg in "${packages[@]}"; do
  # `dpkg -s` also succeeds for a removed package whose config files remain, so check the status.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: missing ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
fi

# sshd refuses to start without its privilege separation directory.
if [[ ! -d /run/sshd ]]; then
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
fi

if ((${#missing[@]} > 0)); then
  echo "install-test-deps: installed ${missing[*]}"
else
  echo "install-test-deps: all ${#packages[@]} packages present, nothing installed"
fi
