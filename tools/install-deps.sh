#!/usr/bin/env bash
# Installs what beeos needs on Debian 12 from Debian's own archive, only where it is missing.
# Runs as root, or through sudo when available.
set -euo pipefail

packages=(g++ cmake make pkg-config libssl-dev zlib1g-dev
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
          libyaml-cpp-dev libboost-program-options1.81-dev)
# The command-line tool's tests drive its progress bar on a real terminal.
packages+=(tmux)
# The deployment tests tunnel through a real forward proxy.
packages+=(tinyproxy)
# The API reference (the `docs` target; CTest checks it builds without a warning).
packages+=(doxygen)
# The integration suite talks to a real Node.js HTTPS server (1xx interim responses).
command -v node >/dev/null || packages+=(nodejs)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything is installed"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
