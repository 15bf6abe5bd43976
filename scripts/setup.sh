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
say "done: .venv holds $(du -sh .venv 2>/dev/null | cut -f1); run 'bash scripts/demo.sh' or 'bash .ci/run'"
