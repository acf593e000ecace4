#!/usr/bin/env bash
# The main job: set up, then run both demos.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/python -m autograd_engine
.venv/bin/python -m nn
