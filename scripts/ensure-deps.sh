#!/bin/sh
# ensure-deps.sh - installs the build dependencies that are missing.
# Called by the Makefile when pkg-config cannot find them; safe to run
# again. Needs apt-get (Debian/Ubuntu) and root, or says what to install.
set -u
pkgs="pkg-config libyaml-dev libgsl-dev libcmocka-dev libjansson-dev"
missing=""
command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"
for pc in yaml-0.1:libyaml-dev gsl:libgsl-dev cmocka:libcmocka-dev \
          jansson:libjansson-dev; do
  mod=${pc%%:*}
  deb=${pc#*:}
  if ! command -v pkg-config >/dev/null 2>&1 ||
     ! pkg-config --exists "$mod" 2>/dev/null; then
    missing="$missing $deb"
  fi
done
[ -z "$missing" ] && exit 0
echo "stsim: missing build dependencies:$missing" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "stsim: apt-get is not available; install these packages (or their" >&2
  echo "stsim: equivalents for your system) and run make again: $pkgs" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "stsim: need root to run apt-get install$missing" >&2
    exit 1
  fi
fi
echo "stsim: installing with apt-get:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the package lists first: it is quicker and works
# offline when the lists are current; refresh and retry if it fails.
if ! $SUDO apt-get install -y -q $missing >&2; then
  $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q $missing >&2 || {
    echo "stsim: apt-get install failed; install by hand:$missing" >&2
    exit 1
  }
fi
exit 0
