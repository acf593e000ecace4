#!/usr/bin/env bash
# The main job: a plain install (the runtime dependencies only, into .venv), then both demos.
# The test command, scripts/test.sh, does the full set-up (dev tools, PyTorch, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh plain
.venv/bin/python -m autograd_engine
.venv/bin/python -m nn --compile  # compiled training: the same numbers, about 4x faster
