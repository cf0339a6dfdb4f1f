#!/usr/bin/env bash
# Configures (once) and builds gleaner with Ninja into build/; the binary is build/gleaner, and the
# web dashboard (ui/: TypeScript + Vite, its packages pinned in ui/package-lock.json) is built into
# build/ui beside it, where `gleaner up` serves it at /ui.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake --preset default >/dev/null
fi
cmake --build build -j "$(nproc)"
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm ci --prefix ui --no-audit --no-fund --loglevel=error
fi
npm run build --prefix ui --silent >/dev/null
