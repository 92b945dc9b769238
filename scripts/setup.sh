#!/usr/bin/env bash
# Installs the Debian packages the build needs, only where they are missing.
# Safe to run again; does nothing when everything is present.
set -euo pipefail
# `setup.sh test` (what `./x test` runs) also installs what only the tests use: Debian's chromium
# for the web view's browser test (docs/WEB.md, "Tests").
packages=(libzmq3-dev liblapacke-dev libopenblas-dev pkg-config libsqlite3-dev zlib1g-dev)
[ "${1:-}" = "test" ] && packages+=(chromium)
need=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (install Swift 6.1 or later)" >&2; exit 1; }
