#!/usr/bin/env bash
# Sanitizers and brief fuzzing, the last step of scripts/test.sh (RELIABILITY.md has the figures):
#   1. the asan preset (clang, AddressSanitizer + UndefinedBehaviorSanitizer, build-asan/): every
#      unit test under ctest, then every libFuzzer target in fuzz/ for a few seconds from its seeds;
#   2. the tsan preset (clang, ThreadSanitizer, build-tsan/): the tests of the threaded components
#      (engine, HTTP server, agent, store, runtime).
# Exits non-zero on any sanitizer report, failed test or fuzz finding; a fuzz finding's input is
# kept in build-asan/fuzz-findings/. GLEANER_FUZZ_SECONDS sets the seconds per fuzz target (6).
# Long fuzzing: scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
jobs=$(nproc)
fuzz_seconds=${GLEANER_FUZZ_SECONDS:-6}

# Symbolized stack traces when llvm-symbolizer is there; reports are caught either way.
symbolizer=""
if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  symbolizer=":external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer"
fi
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1${symbolizer}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${symbolizer}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${symbolizer}"

# "sanitizers: <step> (<seconds since the start> s)"
step() { echo "sanitizers: $1 ($((SECONDS - started)) s)"; }

step "ASan+UBSan build (build-asan/)"
if [ ! -f build-asan/build.ninja ]; then
  cmake --preset asan >/dev/null
fi
cmake --build build-asan -j "$jobs"

step "unit tests under ASan+UBSan"
ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600

step "fuzz targets, ${fuzz_seconds} s each"
run_dir=build-asan/fuzz-run
findings=build-asan/fuzz-findings
rm -rf "$run_dir"
mkdir -p "$run_dir" "$findings"
for source in fuzz/*_fuzz.cc; do
  target=$(basename "$source" _fuzz.cc)
  mkdir -p "$run_dir/$target"
  # New inputs go to the scratch corpus (first directory); the seeds in fuzz/corpus are read only.
  if ! "build-asan/fuzz/${target}_fuzz" -max_total_time="$fuzz_seconds" -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$findings/${target}-" \
      "$run_dir/$target" "fuzz/corpus/$target" >"$run_dir/$target.log" 2>&1; then
    tail -n 60 "$run_dir/$target.log"
    echo "sanitizers: FUZZ FINDING in $target (input in $findings/, log in $run_dir/$target.log)"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_dir/$target.log")
  echo "  ${target}: ${runs:-?} runs, no finding"
done

step "TSan build of the threaded components (build-tsan/)"
tsan_targets=(server_engine_test api_http_test api_dns_test agent_test store_test runtime_test
  container_launcher_test)
if [ ! -f build-tsan/build.ninja ]; then
  cmake --preset tsan >/dev/null
fi
cmake --build build-tsan -j "$jobs" --target "${tsan_targets[@]}"

step "threaded components' tests under TSan"
# Only those targets are built; ctest lists the others as <target>_NOT_BUILT.
ctest --test-dir build-tsan --output-on-failure -j "$jobs" --timeout 600 -E '_NOT_BUILT$'

step "no findings"
