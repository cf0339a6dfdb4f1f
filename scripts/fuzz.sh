#!/usr/bin/env bash
# Long fuzzing: every libFuzzer target in fuzz/ (ASan + UBSan, build-asan/), one at a time, for
# SECONDS each (default 600), nice'd.
#   scripts/fuzz.sh [seconds-per-target] [target ...]      e.g. scripts/fuzz.sh 3600 batch_http
# Targets are fuzz/<target>_fuzz.cc; each starts from its seeds (fuzz/corpus/<target>/, read only)
# and from the corpus earlier runs grew (build-asan/fuzz-corpus/<target>/, kept between runs).
# A finding (crash, sanitizer report, timeout over 10 s, out of memory) is kept as
# build-asan/fuzz-findings/<target>-crash-<sha1> and makes the script exit non-zero after the
# other targets ran; replay it with build-asan/fuzz/<target>_fuzz <file>. A target stopped with
# kill -INT <its pid> ends its run there (libFuzzer exits 72), not a finding. Prints per target the
# executions, exec/s, wall time, corpus size and findings (the figures RELIABILITY.md quotes).
# Environment:
#   GLEANER_FUZZ_RUNS=N     also stop a target after N executions (e.g. 10000000), whichever of
#                           that and SECONDS comes first (libFuzzer's -runs);
#   GLEANER_BUILD_JOBS=N    parallel jobs of the build before fuzzing (default: every core);
#   GLEANER_FUZZ_NO_BUILD=1 skip that build (e.g. a second fuzz.sh running beside a first).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for source in fuzz/*_fuzz.cc; do targets+=("$(basename "$source" _fuzz.cc)"); done
fi

if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer"
fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1"

if [ ! -f build-asan/build.ninja ]; then
  cmake --preset asan >/dev/null
fi
if [ -z "${GLEANER_FUZZ_NO_BUILD:-}" ]; then
  nice -n 10 cmake --build build-asan -j "${GLEANER_BUILD_JOBS:-$(nproc)}" \
    --target "${targets[@]/%/_fuzz}"
fi
runs_limit=()
if [ -n "${GLEANER_FUZZ_RUNS:-}" ]; then runs_limit=(-runs="$GLEANER_FUZZ_RUNS"); fi

corpus_root=build-asan/fuzz-corpus
findings=build-asan/fuzz-findings
logs=build-asan/fuzz-logs
mkdir -p "$corpus_root" "$findings" "$logs"
failed=()
printf '%-18s %14s %10s %8s %16s  %s\n' target executions exec/s seconds corpus findings
for target in "${targets[@]}"; do
  mkdir -p "$corpus_root/$target"
  log="$logs/$target.log"
  status=0
  started=$SECONDS
  echo "fuzz.sh: $target started $(date -u '+%Y-%m-%d %H:%M:%S') UTC" >"$log"
  nice -n 10 "build-asan/fuzz/${target}_fuzz" -max_total_time="$seconds" "${runs_limit[@]}" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/${target}-" \
    "$corpus_root/$target" "fuzz/corpus/$target" >>"$log" 2>&1 || status=$?
  wall=$((SECONDS - started))
  echo "fuzz.sh: $target ended $(date -u '+%Y-%m-%d %H:%M:%S') UTC, $wall s, exit $status" >>"$log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  files=$(find "$corpus_root/$target" -type f | wc -l)
  bytes=$(du -sb "$corpus_root/$target" | cut -f1)
  result=none
  if [ "$status" -eq 72 ]; then
    result="none (interrupted: SIGINT)"  # libFuzzer's exit code when stopped with ^C or kill -INT
  elif [ "$status" -ne 0 ]; then
    result="FINDING (exit $status; see $log)"
    failed+=("$target")
  fi
  printf '%-18s %14s %10s %8s %16s  %s\n' "$target" "${runs:-?}" "${speed:-?}" "$wall" \
    "${files} files/${bytes} B" "$result"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in ${failed[*]}; inputs in $findings/"
  exit 1
fi
