#!/usr/bin/env bash
# Creates .venv (once) and installs the project with the given extras.
# Installs Graphviz's `dot` with apt-get when it is missing and we may.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null
  else
    echo "note: Graphviz's 'dot' is not installed; drawings are laid out by graphviz-pure" \
         "(in the dev extra) instead. Graphviz itself: apt/brew/conda package 'graphviz'." >&2
  fi
fi
[ -d .venv ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${extras}]"
