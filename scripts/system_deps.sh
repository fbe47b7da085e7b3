#!/usr/bin/env bash
# Test-only system dependencies: independent readers for the FBX/glTF files we export.
#   - Debian libassimp5 + pyassimp (pinned, into .venv): reads FBX and glb morph animation.
#   - Node.js/npm (only if missing) + gltf-validator (pinned, tests/tools): Khronos validator.
# Idempotent and fast when everything is already there; runs as root on Debian (CI) or
# with sudo; `apt-get update` only when a package has to be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
PYASSIMP_VERSION="5.2.5"

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_updated=0
apt_install() {
    # apt_install PKG...: install the Debian packages that are not installed yet.
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "system_deps: need ${missing[*]} but apt-get is not available; install them by hand" >&2
        return 1
    fi
    if [ $apt_updated -eq 0 ]; then
        $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

# 1. assimp shared library (Debian 12: libassimp5).
apt_install libassimp5

# 2. Node.js + npm only when missing (the machine image usually has them).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi

# 3. pyassimp into the venv (pinned; also listed in requirements/dev.txt).
if [ -x "$PY" ]; then
    if ! "$PY" -c "import importlib.metadata as m,sys; sys.exit(m.version('pyassimp')!='$PYASSIMP_VERSION')" 2>/dev/null; then
        "$VENV/bin/pip" install -q "pyassimp==$PYASSIMP_VERSION"
    fi
    # pyassimp must find the shared library, or the read-back tests cannot run.
    "$PY" - <<'PYEOF'
import pyassimp, pyassimp.helper as h
print("system_deps: pyassimp", pyassimp.__file__.rsplit("/", 2)[-2], "library ok")
PYEOF
else
    echo "system_deps: $PY not found; run 'make setup' (creates the venv) first" >&2
    exit 1
fi

# 4. gltf-validator (pinned in tests/tools/package.json + package-lock.json).
if [ ! -f tests/tools/node_modules/gltf-validator/package.json ]; then
    (cd tests/tools && npm ci --no-audit --no-fund --silent 2>/dev/null \
        || npm install --no-audit --no-fund --silent)
fi
node -e "require('./tests/tools/node_modules/gltf-validator'); console.log('system_deps: gltf-validator ok')"
