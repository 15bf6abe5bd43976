#!/usr/bin/env bash
# Set up (once), then run the offline demo: synthetic portal + local replica + napari.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/napari-cryoet-explorer ] || bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/napari-cryoet-explorer demo "$@"
fi
exec .venv/bin/napari-cryoet-explorer demo "$@"
