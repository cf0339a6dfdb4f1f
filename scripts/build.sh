#!/usr/bin/env bash
# Configures (once) and builds gleaner with Ninja into build/; the binary is build/gleaner.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake --preset default >/dev/null
fi
cmake --build build -j "$(nproc)"
