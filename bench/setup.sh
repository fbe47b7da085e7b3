#!/usr/bin/env bash
# Bench-only system dependencies (idempotent): Festival and two of its voices from Debian,
# used by `python -m bench` as a second synthetic corpus with segment times. The bench skips
# that corpus with a note when they are missing, so failure here is not fatal.
set -u
if command -v festival >/dev/null 2>&1 \
   && [ -d /usr/share/festival/voices/english/kal_diphone ] \
   && [ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench/setup.sh: no apt-get; the festival corpus will be skipped" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q festival festvox-kallpc16k festvox-us-slt-hts >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null 2>&1 &&
  $SUDO apt-get install -y -q festival festvox-kallpc16k festvox-us-slt-hts >/dev/null 2>&1;
} || echo "bench/setup.sh: could not install festival; the festival corpus will be skipped" >&2
exit 0
