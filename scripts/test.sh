#!/usr/bin/env bash
# Quickstart 2: install dependencies, check the layout of the C++ code, build, and run every test
# (unit tests with ctest, then the integration tests that drive the real binary with /usr/bin/aws
# and boto3, then the unit tests again under sanitizers and every fuzz target briefly:
# scripts/sanitizers.sh; GLEANER_SKIP_SANITIZERS=1 leaves that last step out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Every C++ file as .clang-format lays it out (a few seconds).
git ls-files -z '*.cc' '*.h' | xargs -0 clang-format --dry-run -Werror
scripts/build.sh
# podman is installed above: the container tests must run, not skip.
export GLEANER_REQUIRE_CONTAINERS=1
ctest --test-dir build --output-on-failure -j "$(nproc)"
# The AWS SDK for JavaScript v3, a client in the integration tests (versions pinned in the lock file).
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
GLEANER_BINARY="$PWD/build/gleaner" /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider
if [ "${GLEANER_SKIP_SANITIZERS:-0}" != 1 ]; then
  scripts/sanitizers.sh
fi
