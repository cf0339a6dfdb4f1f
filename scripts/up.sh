#!/usr/bin/env bash
# Quickstart 1: install dependencies, build, and start gleaner (arguments go to `gleaner up`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/gleaner up "$@"
