#!/usr/bin/env bash
# Run the test suite (pytest-xvfb starts a virtual X server for the viewer tests).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest "$@"
