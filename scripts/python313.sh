#!/usr/bin/env bash
# Python 3.13 for the Blender 5.2 LTS test environment (.venv-bpy52: bpy 5.2.3 is cp313 only).
#
# This OS (Debian 12) ships Python 3.11 alone and no registry serves a 3.13 interpreter, so the
# interpreter is built once from Debian 13 (trixie)'s own CPython source package, fetched with
# apt-get through a private source list (the system's apt configuration and lists are left
# untouched), and cached OUTSIDE the clone so every later run and every clone reuses it:
#
#   ${TALKRIG_PY313_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/talkrig/python3.13}
#
# Prints the interpreter's path on stdout (all other output goes to stderr). Idempotent: a
# finished build is marked by $PREFIX/.talkrig-built and reused; an unfinished one is redone.
# Two runs at once are serialised by flock on $PREFIX.lock (the second waits, then reuses).
# Elsewhere (no apt-get), point TALKRIG_PYTHON313 at a Python 3.13 and nothing is built.
# Takes about 2.5 min on 2 idle cores (configure + make -j + install; no PGO).
set -euo pipefail

PREFIX="${TALKRIG_PY313_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/talkrig/python3.13}"
PY="$PREFIX/bin/python3.13"
MARK="$PREFIX/.talkrig-built"
SRC_PKG=python3.13
SUITE=trixie

log() { echo "python313: $*" >&2; }

usable() {
  [[ -f "$MARK" && -x "$PY" ]] &&
    "$PY" -c 'import ssl, zlib, ctypes, bz2, lzma, sqlite3, venv, ensurepip' 2>/dev/null
}

# An interpreter of one's own (macOS, another distribution): TALKRIG_PYTHON313=/path/python3.13
if [[ -n "${TALKRIG_PYTHON313:-}" ]]; then
  "$TALKRIG_PYTHON313" -c 'import sys, ssl, venv; sys.exit(sys.version_info[:2] != (3, 13))' ||
    { log "TALKRIG_PYTHON313=$TALKRIG_PYTHON313 is not a working Python 3.13"; exit 1; }
  echo "$TALKRIG_PYTHON313"; exit 0
fi

if usable; then echo "$PY"; exit 0; fi

mkdir -p "$(dirname "$PREFIX")"
exec 9>"$PREFIX.lock"
if ! flock -n 9; then
  log "another run is building $PREFIX; waiting for it"
  flock 9
fi
if usable; then echo "$PY"; exit 0; fi   # the other run finished it

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

# Build tools and the -dev headers of the standard library's C modules (apt-get only).
need=()
for p in build-essential pkg-config libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev \
         libsqlite3-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev xz-utils; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  log "installing build dependencies: ${need[*]}"
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi

work="$(mktemp -d -t talkrig-py313.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The Debian mirror this machine already uses (first deb.debian.org-style URI), else the default.
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
          2>/dev/null | grep -E '^[[:space:]]*(URIs:|deb )' | grep -oE 'https?://[^ ]*/debian/?( |$)' |
          head -n1 | tr -d ' ' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
opts=""
[[ -f $keyring ]] && opts="[signed-by=$keyring] "
echo "deb-src ${opts}${mirror%/} $SUITE main" > "$work/sources.list"
mkdir -p "$work/lists/partial" "$work/archives/partial"
apt_private=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::archives=$work/archives"
             -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
             -o "APT::Sandbox::User=root")

log "fetching the $SRC_PKG source package from $mirror $SUITE (private apt list)"
t0=$SECONDS
apt-get -q "${apt_private[@]}" update >&2
(cd "$work" && apt-get -q "${apt_private[@]}" source --download-only "$SRC_PKG" >&2)
tarball="$(ls "$work"/${SRC_PKG}_*.orig.tar.* | head -n1)"
log "got $(basename "$tarball") ($(( $(stat -c %s "$tarball") / 1048576 )) MB) in $((SECONDS - t0)) s"

mkdir -p "$work/src"
tar -xf "$tarball" -C "$work/src" --strip-components=1

rm -rf "$PREFIX"
jobs="$(nproc 2>/dev/null || echo 2)"
log "building into $PREFIX with make -j$jobs (a few minutes)"
t1=$SECONDS
(
  cd "$work/src"
  ./configure --prefix="$PREFIX" --with-ensurepip=install > "$work/configure.log" 2>&1 ||
    { tail -n 30 "$work/configure.log" >&2; exit 1; }
  make -j"$jobs" > "$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
  make install > "$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
)
"$PY" -c 'import ssl, zlib, ctypes, bz2, lzma, sqlite3, venv, ensurepip, readline' >&2 ||
  { log "the built interpreter lacks standard modules (see above)"; exit 1; }
touch "$MARK"
log "built $("$PY" -V) in $((SECONDS - t1)) s (total $((SECONDS - t0)) s)"
echo "$PY"
