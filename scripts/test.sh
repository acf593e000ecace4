#!/usr/bin/env bash
# Set up (with the PyTorch oracle), then lint and run every test, notebooks included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,torch
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict autograd_engine nn
.venv/bin/python -m pytest "$@"
