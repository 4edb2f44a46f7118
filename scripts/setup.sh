# Shared set-up for scripts/mle and scripts/test: installs the system packages mle needs when
# they are missing (apt-get; sudo when not root), then builds. Sourced, not run.

mle_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

mle_install_packages() {
    mle_install libedit-dev libopenblas-dev pkg-config libsqlite3-dev zlib1g-dev
}

# What the test suite needs beside: Chromium renders the HTML session reports headless.
mle_install_test_packages() {
    mle_install chromium
}

mle_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "mle: installing ${missing[*]} (apt-get)" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "mle: need root or sudo to install ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2 || return 1
}

mle_check_swift() {
    command -v swift >/dev/null || { echo "mle: swift is not on PATH (Swift 6 toolchain needed, see swift.org)" >&2; return 1; }
}
