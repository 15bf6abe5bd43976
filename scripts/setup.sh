#!/usr/bin/env bash
# Set up a development machine: Debian packages for headless Qt/GL, a venv, the project.
# (To use the plugin in a napari you already have, `pip install` it instead: see README.)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
say() { printf '[setup %3ds] %s\n' "$SECONDS" "$*"; }

pkgs=(xvfb xauth libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri libfontconfig1 fonts-dejavu-core
  libdbus-1-3 libglib2.0-0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${#missing[@]} Debian packages for Xvfb, OpenGL and Qt's xcb platform: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "apt: the ${#pkgs[@]} Debian packages for Xvfb, OpenGL and Qt are installed"
fi

if [ -x .venv/bin/python ]; then
  say "venv: .venv exists ($(.venv/bin/python --version))"
else
  say "venv: creating .venv ($(python3 --version))"
  python3 -m venv .venv
fi

say "pip: installing the project (editable) with napari[pyqt6] and the test tools into .venv;"
say "     versions from .ci/constraints.txt; about 1.4 GB, one to two minutes the first time"
log=.venv/pip-install.log
# One line per package pip fetches, then the install; pip's full output goes to the log.
progress='/^(Collecting|Processing) / { n = split($2, p, "/"); print "  fetch " p[n]; fflush() }
  /^Installing collected packages/ { print "  unpacking " NF - 3 " packages into .venv"; fflush() }
  /^Successfully installed/ { print "  installed " NF - 2 " packages"; fflush() }'
if ! .venv/bin/python -m pip install --progress-bar off -c .ci/constraints.txt -e ".[test]" 2>&1 |
  tee "$log" | awk "$progress"; then
  tail -n 40 "$log"
  say "pip failed; the full log is $log"
  exit 1
fi
# graphql-core 3.2 (what the public portal's server and older clients run) beside the
# project's 3.3, in a folder of its own: the introspection test loads the replica's
# schema with it in a subprocess (tests/replica/test_introspection_32.py).
gql32=.venv/gql32
if compgen -G "$gql32/graphql_core-3.2.*.dist-info" >/dev/null &&
  compgen -G "$gql32/gql-3.5.*.dist-info" >/dev/null; then
  say "pip: graphql-core 3.2 and gql 3.5 are in $gql32"
else
  say "pip: installing graphql-core 3.2, gql 3.5 and backoff into $gql32 (not into .venv:"
  say "     the introspection test's graphql-core 3.2 client; the rest comes from .venv)"
  if ! .venv/bin/python -m pip install --progress-bar off --no-deps --upgrade --target "$gql32" \
    "graphql-core>=3.2,<3.2.7" "gql[requests]==3.5.*" "backoff==2.*" >>"$log" 2>&1; then
    tail -n 20 "$log"
    say "pip failed; the full log is $log"
    exit 1
  fi
fi
say "done: .venv holds $(du -sh .venv 2>/dev/null | cut -f1); run 'bash scripts/demo.sh' or 'bash .ci/run'"
