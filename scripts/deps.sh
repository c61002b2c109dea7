#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice needs to build, test and run, when any are missing.
# Sourced by scripts/run and scripts/test.
set -euo pipefail

SLUICE_PACKAGES=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-charts-dev libgl-dev qcoro-qt6-dev libhttp-parser-dev libnghttp2-dev
    libhiredis-dev redis-server redis-tools
    qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n
    fonts-wqy-microhei
)
# Only for the fuzz targets (scripts/fuzz, scripts/test --fuzz): clang with libFuzzer and the
# sanitizer runtimes, and llvm-symbolizer for readable stacks.
SLUICE_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)

# Extra packages may be named as arguments (e.g. "${SLUICE_FUZZ_PACKAGES[@]}").
sluice_install_deps() {
    local missing=()
    for pkg in "${SLUICE_PACKAGES[@]}" "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    echo "Installing missing packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "error: packages missing (${missing[*]}) and not running as root" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        "${missing[@]}"
}

# Number of parallel build jobs: the machines have 2 cores; never more than that.
sluice_jobs() {
    local n
    n=$(nproc 2>/dev/null || echo 2)
    [ "$n" -gt 2 ] && n=2
    echo "$n"
}
