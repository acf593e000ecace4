#!/usr/bin/env bash
# Creates .venv (once) and installs the project with the given extras (default: dev).
# `setup.sh plain` is the demo's plain install: the runtime dependencies only, and Graphviz.
# Installs Graphviz's `dot` and, except for `plain`, Chromium (for the player's browser tests)
# with apt-get when they are missing and we may.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ "$extras" != plain ]; then
  [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: not installed: ${missing[*]}. Graphviz renders the drawings (apt/brew/conda" \
         "package 'graphviz'; without it graphviz-pure lays them out: pip install '.[layout]'," \
         "also in the dev extra);" \
         "Chromium runs the player's browser tests (package 'chromium')." >&2
  fi
fi
[ -d .venv ] || python3 -m venv .venv
if [ "$extras" = plain ]; then
  # No byte-compiling of every installed file: the demos compile what they import.
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-compile -e .
else
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[${extras}]"
fi
