#!/usr/bin/env bash
# bench/cost_example.sh -- the README's worked example of `gleaner cost`: one workload run three
# ways on the simulated spot cloud -- on-demand only, spot only, spot with on-demand fallback --
# with half of the spot instances reclaimed midway, then `gleaner cost --by queue`. The shape of
# the tutorials' monthly table (on-demand $5,000 / spot only $800 / mixed $1,200), on a real run.
#
# Usage: bench/cost_example.sh   (JOBS jobs of WORK_SECONDS each per queue; defaults 12 and 20)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GLEANER=${GLEANER_BINARY:-$REPO/build/gleaner}
AWS=/usr/bin/aws
JOBS=${JOBS:-12}
WORK_SECONDS=${WORK_SECONDS:-20}
WORK=$(mktemp -d /tmp/gleaner-cost-example.XXXXXX)
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

"$GLEANER" up --listen 127.0.0.1:0 --data-dir "$WORK/data" --seed 7 --no-background-interruptions \
  --runtime process --job-network host --no-auth --scale-in-idle-seconds 5 >"$WORK/up.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  ENDPOINT=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/up.log" | head -1 || true)
  [[ -n $ENDPOINT ]] && break
  sleep 0.1
done
export AWS_ACCESS_KEY_ID=example AWS_SECRET_ACCESS_KEY=example AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" HOME="$WORK"
batch() { "$AWS" batch --endpoint-url "$ENDPOINT" --output json "$@"; }

TYPES='["c5.large","c5.xlarge","m5.large","m5.xlarge","r5.large"]'
SUBNETS='["subnet-0aaa1111","subnet-0bbb2222","subnet-0ccc3333"]'
environment() {  # name type maxvCpus
  batch create-compute-environment --compute-environment-name "$1" --type MANAGED \
    --compute-resources "{\"type\":\"$2\",\"allocationStrategy\":\"$([[ $2 == SPOT ]] &&
      echo SPOT_CAPACITY_OPTIMIZED || echo BEST_FIT_PROGRESSIVE)\",\"minvCpus\":0,
      \"maxvCpus\":$3,\"instanceTypes\":$TYPES,\"subnets\":$SUBNETS,
      \"instanceRole\":\"ecsInstanceRole\"}" >/dev/null
}
environment on-demand EC2 256
environment spot SPOT 256
environment spot-capped SPOT 16  # room for two thirds of the mixed queue's work
environment on-demand-fallback EC2 256
queue() {  # name environments...
  local name=$1 order="" n=1
  shift
  for environment in "$@"; do
    order+="${order:+,}{\"order\":$n,\"computeEnvironment\":\"$environment\"}"
    n=$((n + 1))
  done
  batch create-job-queue --job-queue-name "$name" --priority 1 \
    --compute-environment-order "[$order]" >/dev/null
}
queue on-demand-only on-demand
queue spot-only spot
queue spot-with-fallback spot-capped on-demand-fallback
batch register-job-definition --job-definition-name work --type container \
  --container-properties "{\"image\":\"busybox\",\"command\":[\"sleep\",\"$WORK_SECONDS\"],
    \"resourceRequirements\":[{\"type\":\"VCPU\",\"value\":\"2\"},{\"type\":\"MEMORY\",\"value\":\"2048\"}]}" \
  --retry-strategy '{"attempts":5,"evaluateOnExit":[{"onStatusReason":"Host EC2*","action":"RETRY"},
    {"onReason":"*","action":"EXIT"}]}' >/dev/null
for queue in on-demand-only spot-only spot-with-fallback; do
  for i in $(seq "$JOBS"); do
    batch submit-job --job-name "$queue-$i" --job-queue "$queue" --job-definition work >/dev/null
  done
done

# Midway, half of each spot compute environment's instances are reclaimed (5 s notice).
sleep $((WORK_SECONDS / 2))
for environment in spot spot-capped; do
  "$GLEANER" interrupt --compute-environment "$environment" --percent 50 --notice 5s \
    --endpoint "$ENDPOINT" >/dev/null
done
for queue in on-demand-only spot-only spot-with-fallback; do
  until [[ $(batch list-jobs --job-queue "$queue" --job-status SUCCEEDED \
             --query 'length(jobSummaryList)') == "$JOBS" ]]; do
    sleep 1
  done
done
sleep 7  # the last instances are scaled in: their idle time is in the bill
echo "\$ gleaner cost --by queue"
"$GLEANER" cost --by queue --endpoint "$ENDPOINT"
