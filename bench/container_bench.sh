#!/usr/bin/env bash
# bench/container_bench.sh -- the container runtime next to its floor (podman itself) and the
# process runtime, measured in one run; rewrites the "Containers" block of BENCHMARKS.md.
#
# Usage: bench/container_bench.sh   (as root, with podman: scripts/install-deps.sh installs it)
#
# Environment (defaults in brackets):
#   REPS      repetitions; the table shows medians (min–max)                          [3]
#   N         containers (or jobs) per figure                                        [100]
#   PARALLEL  containers at once for the parallel floor; gleaner launches with 4
#             threads and runs as many 1-vCPU jobs at once as --vcpus allows          [4]
#   OUT       the report                                                [<repo>/BENCHMARKS.md]
#
# Figures, all with one image made here from busybox-static in a podman store of this run's own
# (nothing is pulled) and the same containers.conf gleaner writes:
#   floor_serial    `podman run --rm --network=host --log-driver=none IMAGE true`, one after
#                   another: runs/s
#   floor_parallel  the same, PARALLEL at a time: runs/s
#   gleaner e2e     gleaner_bench e2e: N jobs running `true` submitted at once, to the last one
#                   SUCCEEDED: jobs/s (--runtime container and --runtime process)
#   gleaner latency gleaner_bench latency: one job at a time, SubmitJob to seen SUCCEEDED:
#                   median ms (both runtimes); the floor's is one `podman run --rm` alone
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
N=${N:-100}
PARALLEL=${PARALLEL:-4}
OUT=${OUT:-$REPO/BENCHMARKS.md}
GLEANER=${GLEANER_BINARY:-$REPO/build/gleaner}
BENCH=$REPO/build/gleaner_bench
IMAGE=localhost/gleaner-bench-busybox:latest
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SHARED_CREDENTIALS_FILE=/dev/null
WORK=$(mktemp -d /tmp/gleaner-container-bench.XXXXXX)
RAW=$WORK/figures.tsv
SERVER_PID=""
ENDPOINT=""

log() { printf '[container-bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  # This run's own store only (never `podman system reset`: it removes the machine's networks).
  if [[ ${CONTAINERS_STORAGE_CONF:-} == "$WORK/storage.conf" ]]; then
    podman rm --all --force >/dev/null 2>&1 || true
    podman rmi --all --force >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- podman, as gleaner runs it

setup_podman() {
  mkdir -p "$WORK/store" "$WORK/rootfs/bin" "$WORK/rootfs/tmp"
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/store/graph"\nrunroot = "%s/store/run"\n' \
    "$WORK" "$WORK" >"$WORK/storage.conf"
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$WORK/containers.conf"
  export CONTAINERS_STORAGE_CONF=$WORK/storage.conf CONTAINERS_CONF=$WORK/containers.conf
  cp /bin/busybox "$WORK/rootfs/bin/"
  local applet
  for applet in $(/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$WORK/rootfs/bin/$applet"
  done
  tar -C "$WORK/rootfs" -c . | podman import - "$IMAGE" >/dev/null
}

floor_serial() {
  local start i
  start=$(now_ms)
  for ((i = 0; i < N; i++)); do
    podman run --rm --network=host --log-driver=none "$IMAGE" true
  done
  echo "$(((N * 1000000) / ($(now_ms) - start)))" # runs per 1000 s
}

floor_parallel() {
  local start
  start=$(now_ms)
  seq "$N" | xargs -P "$PARALLEL" -I{} podman run --rm --network=host --log-driver=none "$IMAGE" true
  echo "$(((N * 1000000) / ($(now_ms) - start)))"
}

floor_latency() { # median ms of 20 single runs
  local i start samples=()
  for ((i = 0; i < 20; i++)); do
    start=$(now_ms)
    podman run --rm --network=host --log-driver=none "$IMAGE" true
    samples+=($(($(now_ms) - start)))
  done
  printf '%s\n' "${samples[@]}" | sort -n | sed -n '10p'
}

# ---------------------------------------------------------------- gleaner

start_server() { # runtime
  local dir=$WORK/server-$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '[default]\naws_access_key_id = bench\naws_secret_access_key = bench\n' >"$dir/credentials"
  "$GLEANER" up --listen 127.0.0.1:0 --data-dir "$dir/data" --capacity local --vcpus "$PARALLEL" \
    --runtime "$1" --image-pull prefer-cached --credentials "$dir/credentials" \
    >"$dir/stdout" 2>"$dir/stderr" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 400; i++)); do
    ENDPOINT=$(sed -n 's|^gleaner listening on \(http://[0-9.:]*\).*|\1|p' "$dir/stdout")
    [[ -n $ENDPOINT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "gleaner up exited: $(cat "$dir/stderr")"
    sleep 0.05
  done
  [[ -n $ENDPOINT ]] || die "gleaner up did not report its endpoint"
  api createcomputeenvironment '{"computeEnvironmentName":"ec2","type":"MANAGED",
    "computeResources":{"type":"EC2","minvCpus":0,"maxvCpus":256,"subnets":["subnet-bench"],"instanceRole":"ecsInstanceRole"}}'
  api createjobqueue '{"jobQueueName":"q","priority":1,
    "computeEnvironmentOrder":[{"order":1,"computeEnvironment":"ec2"}]}'
  api registerjobdefinition '{"jobDefinitionName":"true","type":"container",
    "containerProperties":{"image":"'"$IMAGE"'","command":["true"],
    "resourceRequirements":[{"type":"VCPU","value":"1"},{"type":"MEMORY","value":"64"}]}}'
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

api() { # operation json
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:batch" --user bench:bench -X POST \
    -H 'content-type: application/json' "$ENDPOINT/v1/$1" -d "$2" >/dev/null || die "$1 failed"
}

gleaner_figures() { # runtime -> "<jobs per 1000 s> <latency ms>"
  local e2e latency
  start_server "$1"
  e2e=$("$BENCH" e2e --endpoint "$ENDPOINT" --queue q --definition true --clients 4 \
    --jobs "$N" --poll-ms 20) || die "e2e failed"
  latency=$("$BENCH" latency --endpoint "$ENDPOINT" --queue q --definition true --samples 20 \
    --poll-ms 1) || die "latency failed"
  stop_server
  log "$1: $e2e $latency"
  printf '%s %s\n' \
    "$(jq -r '.jobs_per_s * 1000 | floor' <<<"$e2e")" "$(jq -r '.median_ms' <<<"$latency")"
}

# ---------------------------------------------------------------- report

values_of() { # key -> its values, sorted
  awk -v key="$1" '$1 == key { print $2 }' "$RAW" | sort -n
}

median_of() { # key scale -> "median (min–max)" of value/scale (scale 1000: per 1000 s to per s)
  values_of "$1" | awk -v scale="$2" '{ v[++n] = $1 / scale }
    END { d = scale > 1 ? 1 : 0; printf "%.*f (%.*f–%.*f)", d, v[int((n + 1) / 2)], d, v[1], d, v[n] }'
}

middle_of() { values_of "$1" | awk '{ v[++n] = $1 } END { print v[int((n + 1) / 2)] }'; }

ratio_of() { # key base -> median(key) / median(base)
  awk -v a="$(middle_of "$1")" -v b="$(middle_of "$2")" 'BEGIN { printf "%.2f", a / b }'
}

write_report() {
  local block=$WORK/block.md
  {
    echo "<!-- container-bench:begin -->"
    echo "### Containers (bench/container_bench.sh, $(date -u +%Y-%m-%d))"
    echo
    echo "$N containers or jobs per figure, $REPS repetitions (median, min–max), on this $(nproc)-core"
    echo "machine; podman $(podman version --format '{{.Client.Version}}') with runc, overlay storage,"
    echo "an image made from busybox-static; gleaner with local capacity of $PARALLEL vCPUs (1-vCPU"
    echo "jobs: $PARALLEL at once) and 4 launch threads. Latency is SubmitJob to seen SUCCEEDED of"
    echo "\`true\` for gleaner, one \`podman run --rm\` for the floor."
    echo
    echo "| figure | runs or jobs / s | latency, ms |"
    echo "|---|---|---|"
    echo "| floor: \`podman run --rm\` one at a time | $(median_of floor_serial 1000) | $(median_of floor_latency 1) |"
    echo "| floor: \`podman run --rm\`, $PARALLEL at a time | $(median_of floor_parallel 1000) | |"
    echo "| gleaner \`--runtime container\` | $(median_of container_e2e 1000) | $(median_of container_latency 1) |"
    echo "| gleaner \`--runtime process\` | $(median_of process_e2e 1000) | $(median_of process_latency 1) |"
    echo
    echo "gleaner's container runtime reaches $(ratio_of container_e2e floor_parallel)× the parallel"
    echo "floor's rate and $(ratio_of container_e2e floor_serial)× the serial one; the process runtime"
    echo "is $(ratio_of process_e2e container_e2e)× the container runtime on the same jobs."
    echo "<!-- container-bench:end -->"
  } >"$block"
  if grep -q '<!-- container-bench:begin -->' "$OUT"; then
    awk -v block="$block" '
      /<!-- container-bench:begin -->/ { while ((getline line < block) > 0) print line; skip = 1; next }
      /<!-- container-bench:end -->/ { skip = 0; next }
      !skip' "$OUT" >"$WORK/out.md"
    cp "$WORK/out.md" "$OUT"
  else
    { echo; cat "$block"; } >>"$OUT"
  fi
  log "wrote $OUT"
}

main() {
  command -v podman >/dev/null || die "podman is required (scripts/install-deps.sh)"
  command -v jq >/dev/null || die "jq is required"
  [[ -x $BENCH && -x $GLEANER ]] || die "build first: scripts/build.sh"
  setup_podman
  local rep figures
  for ((rep = 1; rep <= REPS; rep++)); do
    log "repetition $rep of $REPS"
    printf 'floor_serial %s\n' "$(floor_serial)" >>"$RAW"
    printf 'floor_parallel %s\n' "$(floor_parallel)" >>"$RAW"
    printf 'floor_latency %s\n' "$(floor_latency)" >>"$RAW"
    local runtime
    for runtime in container process; do
      read -r figures < <(gleaner_figures "$runtime")
      printf '%s_e2e %s\n%s_latency %s\n' "$runtime" "${figures% *}" "$runtime" "${figures#* }" \
        >>"$RAW"
    done
  done
  write_report
}

main "$@"
