#!/usr/bin/env bash
# bench/job_network_bench.sh -- what an attempt's own network costs: the same gleaner with
# `--job-network namespace` (every attempt in a network namespace of its own: instance metadata,
# task metadata, the resolver and AWS's names, slirp4netns) and `--job-network host`, alternating,
# on `--capacity local` with `true` jobs. Prints one line per run; BENCHMARKS.md quotes them.
#
# Usage: bench/job_network_bench.sh   (as root: namespaces need it)
#
# Environment (defaults in brackets):
#   PAIRS     host/namespace pairs                                                      [3]
#   SAMPLES   sequential jobs for the latency figure (SubmitJob to SUCCEEDED, median)   [30]
#   JOBS      jobs for the end-to-end figure, submitted by 16 clients at once           [300]
#   GLEANER_BINARY, GLEANER_BENCH   the binaries        [<repo>/build/gleaner, gleaner_bench]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAIRS=${PAIRS:-3}
SAMPLES=${SAMPLES:-30}
JOBS=${JOBS:-300}
GLEANER=${GLEANER_BINARY:-$REPO/build/gleaner}
BENCH=${GLEANER_BENCH:-$REPO/build/gleaner_bench}
[ "$(id -u)" = 0 ] || { echo "job_network_bench: needs root (network namespaces)" >&2; exit 2; }
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SHARED_CREDENTIALS_FILE=/dev/null

one() { # label, then gleaner up flags
  local label=$1
  shift
  local dir
  dir=$(mktemp -d /tmp/gleaner-network-bench.XXXXXX)
  printf '[default]\naws_access_key_id = bench\naws_secret_access_key = bench\n' >"$dir/credentials"
  /usr/bin/time -f "%U+%S" -o "$dir/time" "$GLEANER" up --listen 127.0.0.1:0 \
    --data-dir "$dir/data" --capacity local --runtime process \
    --credentials "$dir/credentials" "$@" >"$dir/stdout" 2>"$dir/stderr" &
  local timed=$! endpoint=""
  for _ in $(seq 400); do
    endpoint=$(sed -n 's|^gleaner listening on \(http://[0-9.:]*\).*|\1|p' "$dir/stdout")
    [ -n "$endpoint" ] && break
    sleep 0.05
  done
  [ -n "$endpoint" ] || { cat "$dir/stderr" >&2; exit 1; }
  api() {
    curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:batch" --user bench:bench -X POST \
      -H 'content-type: application/json' "$endpoint/v1/$1" -d "$2" >/dev/null
  }
  api createcomputeenvironment '{"computeEnvironmentName":"ec2","type":"MANAGED","computeResources":{"type":"EC2","minvCpus":0,"maxvCpus":256,"subnets":["subnet-bench"],"instanceRole":"ecsInstanceRole"}}'
  api createjobqueue '{"jobQueueName":"q","priority":1,"computeEnvironmentOrder":[{"order":1,"computeEnvironment":"ec2"}]}'
  api registerjobdefinition '{"jobDefinitionName":"true-1vcpu","type":"container","containerProperties":{"image":"busybox","command":["true"],"resourceRequirements":[{"type":"VCPU","value":"1"},{"type":"MEMORY","value":"64"}]}}'
  local latency e2e
  latency=$("$BENCH" latency --queue q --definition true-1vcpu --samples "$SAMPLES" --poll-ms 1 \
    --endpoint "$endpoint" | sed -n 's/.*"median_ms":\([0-9.]*\).*/\1/p')
  e2e=$("$BENCH" e2e --queue q --definition true-1vcpu --clients 16 --poll-ms 50 --jobs "$JOBS" \
    --endpoint "$endpoint" | sed -n 's/.*"jobs_per_s":\([0-9.]*\).*/\1/p')
  # /usr/bin/time's child is gleaner: stop it (by its pid) and let time write the CPU it used.
  kill -TERM "$(pgrep -P "$timed")"
  wait "$timed" || true
  echo "$label: latency ${latency} ms, end to end ${e2e} jobs/s, CPU $(cat "$dir/time") s"
  rm -rf "$dir"
}

echo "gleaner $(git -C "$REPO" rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
for _ in $(seq "$PAIRS"); do
  one host --job-network host
  one namespace --job-network namespace
done
