# Sourced by scripts/start and scripts/test: installs what is missing, then the
# project into .venv. Safe to run again; it only does what is not done yet.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else echo "setup: need root to run: $*" >&2; exit 1
    fi
}

# apt_install PACKAGE...: installs the Debian packages that are not installed yet.
apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}" >&2
    if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    as_root apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    echo "setup: Python 3.11 or newer is needed" >&2; exit 1
}

# setup_python EXTRA: a virtualenv with the project (and the extra, if any) installed.
setup_python() {
    local extra="${1:-}" python stamp wanted
    python="$(find_python)"
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then apt_install python3-venv; fi
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    stamp="$VENV/.installed"
    wanted="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-64) ${extra}"
    if [ ! -f "$stamp" ] || ! grep -qxF "$wanted" "$stamp"; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$ROOT${extra:+[$extra]}"
        echo "$wanted" >> "$stamp"
    fi
}

# WeasyPrint (PDF reports) needs Pango. Reports use the fonts in static/fonts (Latin, Greek,
# Cyrillic); Droid Sans Fallback covers Chinese, Japanese and Korean names and comments.
apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-droid-fallback
