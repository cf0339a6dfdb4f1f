#!/usr/bin/env bash
# bench/run.sh -- gleaner's core figures next to a Slurm baseline measured in the same run;
# writes BENCHMARKS.md at the repository root.
#
# Usage: bench/run.sh   (as root unless SKIP_SLURM=1: the Slurm baseline installs Slurm with apt)
#
# Environment (defaults in brackets):
#   REPS          repetitions of every figure; the table shows medians              [3]
#   N             jobs per 1-client submit run and per end-to-end burst            [1000]
#   N_LARGE       the larger end-to-end burst                                       [5000]
#   CLIENTS       connections for the concurrent submit runs and e2e submissions    [16]
#   SUBMIT_JOBS   jobs per concurrent submit run                                    [5000]
#   LAT_SAMPLES   single-job latency samples per repetition                         [20]
#   OVERSUB_VCPUS vCPUs declared with `gleaner up --vcpus` for the oversubscribed
#                 end-to-end variant                                                [32]
#   E2E_POLL_MS   DescribeJobs poll interval while waiting for a burst              [50]
#   SKIP_SLURM=1  leave out the Slurm baseline
#   NINJA_JOBS    build parallelism                                                 [1]
#   OUT           the report                                        [<repo>/BENCHMARKS.md]
#                 Only the block between this script's markers is rewritten; the rest of the file
#                 (e.g. gleaner_scheduler_bench's "Scheduler core" section) is kept.
#   GLEANER_BINARY measure this gleaner binary instead of building build/gleaner
#
# Every repetition of every figure runs against a fresh `gleaner up` with an empty data directory,
# so a backlog or a grown database from one figure never slows the next. Repetitions are the outer
# loop, so a passing burst of load from other work on the machine hits all figures alike.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
N=${N:-1000}
N_LARGE=${N_LARGE:-5000}
CLIENTS=${CLIENTS:-16}
SUBMIT_JOBS=${SUBMIT_JOBS:-5000}
LAT_SAMPLES=${LAT_SAMPLES:-20}
OVERSUB_VCPUS=${OVERSUB_VCPUS:-32}
E2E_POLL_MS=${E2E_POLL_MS:-50}
SKIP_SLURM=${SKIP_SLURM:-0}
NINJA_JOBS=${NINJA_JOBS:-1}
OUT=${OUT:-$REPO/BENCHMARKS.md}
SLURM_SCRIPT=${SLURM_SCRIPT:-/work/shared/bench/slurm-bench.sh}
AWS_SUBMIT_CAP=50 # AWS Batch's documented SubmitJob rate quota, requests/s per account and region

GLEANER=${GLEANER_BINARY:-$REPO/build/gleaner}
BENCH=$REPO/build/gleaner_bench
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SHARED_CREDENTIALS_FILE=/dev/null
WORK=$(mktemp -d /tmp/gleaner-bench.XXXXXX)
RAW=$WORK/gleaner.jsonl
SERVER_PID=""
ENDPOINT=""
REP=0

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# ---------------------------------------------------------------- build

build() {
  if [[ ! -f $REPO/build/build.ninja ]]; then
    (cd "$REPO" && cmake --preset default >/dev/null)
  fi
  local targets=(gleaner_bench)
  [[ -n ${GLEANER_BINARY:-} ]] || targets+=(gleaner)
  ninja -C "$REPO/build" -j "$NINJA_JOBS" "${targets[@]}" >&2
}

# ---------------------------------------------------------------- server

# Starts `gleaner up` on a fresh data directory with local capacity (these figures measure the API,
# the store and the process runtime; bench/spot_bench.py measures the simulated cloud); sets
# SERVER_PID and ENDPOINT.
start_server() { # name [gleaner up options...]
  local dir=$WORK/$1
  shift
  mkdir -p "$dir"
  : >"$dir/stdout" # exists before the background job's redirection runs
  # Requests are signed, as every user's are: with the bench key pair the load client signs with.
  printf '[default]\naws_access_key_id = bench\naws_secret_access_key = bench\n' >"$dir/credentials"
  "$GLEANER" up --listen 127.0.0.1:0 --data-dir "$dir/data" --capacity local --runtime process \
    --credentials "$dir/credentials" "$@" >"$dir/stdout" 2>"$dir/stderr" &
  SERVER_PID=$!
  ENDPOINT=""
  local i
  for ((i = 0; i < 400; i++)); do
    ENDPOINT=$(sed -n 's|^gleaner listening on \(http://[0-9.:]*\).*|\1|p' "$dir/stdout")
    [[ -n $ENDPOINT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "gleaner up exited: $(cat "$dir/stderr")"
    sleep 0.05
  done
  die "gleaner up did not report its endpoint within 20 s"
}

stop_server() { # name
  [[ -n $SERVER_PID ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -rf "${WORK:?}/$1/data"
}

cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}

api() { # operation json, signed with the bench key pair (SigV4, as every request must be)
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:batch" --user bench:bench -X POST \
    -H 'content-type: application/json' "$ENDPOINT/v1/$1" -d "$2" >/dev/null || die "$1 failed"
}

# Queues: q-ec2 (the machine's capacity), q-held (its only CE is DISABLED, so jobs stay RUNNABLE:
# the pure submit path, like `sbatch -H`), q-fargate (a FARGATE CE, for 0.25-vCPU jobs).
setup_catalog() {
  local subnets='"subnets":["subnet-bench"]'
  local role='"instanceRole":"ecsInstanceRole"'
  api createcomputeenvironment '{"computeEnvironmentName":"ec2","type":"MANAGED",
    "computeResources":{"type":"EC2","minvCpus":0,"maxvCpus":256,'"$subnets,$role"'}}'
  api createcomputeenvironment '{"computeEnvironmentName":"off","type":"MANAGED","state":"DISABLED",
    "computeResources":{"type":"EC2","minvCpus":0,"maxvCpus":256,'"$subnets,$role"'}}'
  api createcomputeenvironment '{"computeEnvironmentName":"fargate","type":"MANAGED",
    "computeResources":{"type":"FARGATE","maxvCpus":256,'"$subnets"'}}'
  local queue
  for queue in ec2:ec2 held:off fargate:fargate; do
    api createjobqueue '{"jobQueueName":"q-'"${queue%%:*}"'","priority":1,
      "computeEnvironmentOrder":[{"order":1,"computeEnvironment":"'"${queue#*:}"'"}]}'
  done
  api registerjobdefinition '{"jobDefinitionName":"true-1vcpu","type":"container",
    "containerProperties":{"image":"busybox","command":["true"],
    "resourceRequirements":[{"type":"VCPU","value":"1"},{"type":"MEMORY","value":"64"}]}}'
  api registerjobdefinition '{"jobDefinitionName":"true-fargate","type":"container",
    "platformCapabilities":["FARGATE"],"containerProperties":{"image":"busybox","command":["true"],
    "resourceRequirements":[{"type":"VCPU","value":"0.25"},{"type":"MEMORY","value":"512"}]}}'
}

# ---------------------------------------------------------------- gleaner figures

# One repetition of one figure on a fresh server; appends its JSON line, tagged with key, to RAW.
figure_once() { # key "gleaner up options" gleaner_bench arguments...
  local key=$1 up_options=$2 line
  shift 2
  # shellcheck disable=SC2086 # up_options is a word list
  start_server "$key" $up_options
  setup_catalog
  line=$("$BENCH" "$@" --endpoint "$ENDPOINT") || die "gleaner_bench $* failed"
  stop_server "$key"
  jq -c --arg key "$key" --argjson rep "$REP" '. + {key: $key, rep: $rep}' <<<"$line" >>"$RAW"
  log "$key: $line"
}

submit_figures() {
  local real="--queue q-ec2 --definition true-1vcpu" held="--queue q-held --definition true-1vcpu"
  # shellcheck disable=SC2086
  {
    figure_once submit_1_run "" submit $real --clients 1 --jobs "$N"
    figure_once submit_1_held "" submit $held --clients 1 --jobs "$N"
    figure_once submit_c_held "" submit $held --clients "$CLIENTS" --jobs "$SUBMIT_JOBS"
    figure_once submit_c_run "" submit $real --clients "$CLIENTS" --jobs "$SUBMIT_JOBS"
  }
}

e2e_figures() {
  local real="--queue q-ec2 --definition true-1vcpu" fargate="--queue q-fargate --definition true-fargate"
  local common="--clients $CLIENTS --poll-ms $E2E_POLL_MS" jobs
  for jobs in "$N" "$N_LARGE"; do
    # shellcheck disable=SC2086
    {
      figure_once "e2e_real_$jobs" "" e2e $real $common --jobs "$jobs"
      figure_once "e2e_fargate_$jobs" "" e2e $fargate $common --jobs "$jobs"
      figure_once "e2e_oversub_$jobs" "--vcpus $OVERSUB_VCPUS" e2e $real $common --jobs "$jobs"
    }
  done
}

array_figures() {
  local poll="--poll-ms $E2E_POLL_MS"
  # shellcheck disable=SC2086
  {
    figure_once "array_real_$N" "" array --queue q-ec2 --definition true-1vcpu $poll --jobs "$N"
    figure_once "array_fargate_$N" "" array --queue q-fargate --definition true-fargate $poll \
      --jobs "$N"
  }
}

latency_figure() {
  figure_once latency "" latency --queue q-ec2 --definition true-1vcpu \
    --samples "$LAT_SAMPLES" --poll-ms 1
}

gleaner_figures() {
  for ((REP = 1; REP <= REPS; REP++)); do
    log "gleaner repetition $REP of $REPS"
    submit_figures
    latency_figure
    e2e_figures
    array_figures
  done
}

# ---------------------------------------------------------------- Slurm baseline

slurm_baseline() {
  [[ $SKIP_SLURM == 1 ]] && return 0
  log "Slurm baseline: $SLURM_SCRIPT -n $N -r $REPS (installs Slurm with apt on first use)"
  bash "$SLURM_SCRIPT" -n "$N" -r "$REPS" -o "$WORK/slurm" all >"$WORK/slurm.log" 2>&1 ||
    log "Slurm baseline failed; see $WORK/slurm.log"
}

slurm_value() { # key -> median, or empty
  [[ -f $WORK/slurm/summary.txt ]] || return 0
  sed -n "s/^$1=\([^ ]*\).*/\1/p" "$WORK/slurm/summary.txt" | head -1
}

# ---------------------------------------------------------------- numbers

values() { # key field -> one value per repetition
  jq -r --arg key "$1" --arg field "$2" 'select(.key == $key) | .[$field]' "$RAW"
}

median() { # key field
  values "$1" "$2" | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print ""; exit }
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

spread() { # key field -> "min–max" over repetitions
  values "$1" "$2" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END { if (NR) printf "%s–%s", lo, hi }'
}

ratio() { # a b -> a/b, formatted by magnitude
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) { print "–"; exit }
    r = a / b; printf (r >= 10 ? "%.0f×" : (r >= 1 ? "%.1f×" : "%.2f×")), r }'
}

scale() { # value factor -> value*factor (empty stays empty)
  if [[ -n $1 ]]; then awk -v v="$1" -v f="$2" 'BEGIN { printf "%.1f", v * f }'; fi
}

# ---------------------------------------------------------------- report

cell() { # key field -> "median (min–max)"
  local m
  m=$(median "$1" "$2")
  if [[ -n $m ]]; then printf '%s (%s)' "$m" "$(spread "$1" "$2")"; else printf '–'; fi
}

row() { # label key field slurm_value aws_ratio(yes|no)
  local m aws="–"
  m=$(median "$2" "$3")
  [[ $5 == yes ]] && aws=$(ratio "$m" "$AWS_SUBMIT_CAP")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$(cell "$2" "$3")" "${4:-–}" "$(ratio "$m" "$4")" "$aws"
}

table() {
  local s_submit s_held s_e2e s_lat s_array_submit s_array_e2e
  s_submit=$(slurm_value slurm_submit_jobs_per_s)
  s_held=$(slurm_value slurm_submit_held_jobs_per_s)
  s_e2e=$(slurm_value slurm_e2e_jobs_per_s)
  s_lat=$(scale "$(slurm_value slurm_single_job_latency_s)" 1000)
  s_array_submit=$(scale "$(slurm_value slurm_array_submit_s)" 1000)
  s_array_e2e=$(slurm_value slurm_array_e2e_tasks_per_s)
  echo "| figure | gleaner median (min–max) | Slurm 22.05 median | gleaner / Slurm | gleaner / AWS 50 SubmitJob/s cap |"
  echo "|---|---|---|---|---|"
  row "durable SubmitJob, 1 client, jobs run meanwhile (jobs/s) ↔ sequential \`sbatch --wrap=true\`" submit_1_run jobs_per_s "$s_submit" yes
  row "durable SubmitJob, 1 client, nothing runs (jobs/s) ↔ sequential \`sbatch -H\`" submit_1_held jobs_per_s "$s_held" yes
  row "durable SubmitJob, $CLIENTS clients, nothing runs (jobs/s; goal ≥ 10,000)" submit_c_held jobs_per_s "" yes
  row "durable SubmitJob, $CLIENTS clients, jobs run meanwhile (jobs/s)" submit_c_run jobs_per_s "" yes
  row "SubmitJob latency p50, 1 client, nothing runs (ms)" submit_1_held p50_ms "" no
  row "SubmitJob latency p99, 1 client, nothing runs (ms)" submit_1_held p99_ms "" no
  row "SubmitJob latency p50, $CLIENTS clients, nothing runs (ms)" submit_c_held p50_ms "" no
  row "SubmitJob latency p99, $CLIENTS clients, nothing runs (ms)" submit_c_held p99_ms "" no
  row "end to end, $N \`true\` jobs, 1 vCPU each, real capacity (jobs/s; goal ≥ 1,000) ↔ Slurm $N individual jobs" "e2e_real_$N" jobs_per_s "$s_e2e" no
  row "end to end, $N_LARGE \`true\` jobs, 1 vCPU each, real capacity (jobs/s)" "e2e_real_$N_LARGE" jobs_per_s "" no
  row "end to end, $N \`true\` jobs, FARGATE 0.25 vCPU each (jobs/s)" "e2e_fargate_$N" jobs_per_s "" no
  row "end to end, $N_LARGE \`true\` jobs, FARGATE 0.25 vCPU each (jobs/s)" "e2e_fargate_$N_LARGE" jobs_per_s "" no
  row "end to end, $N \`true\` jobs, 1 vCPU each, \`--vcpus $OVERSUB_VCPUS\` oversubscribed (jobs/s)" "e2e_oversub_$N" jobs_per_s "" no
  row "end to end, $N_LARGE \`true\` jobs, 1 vCPU each, \`--vcpus $OVERSUB_VCPUS\` oversubscribed (jobs/s)" "e2e_oversub_$N_LARGE" jobs_per_s "" no
  row "array job of $N \`true\` children, 1 vCPU each, real capacity: SubmitJob answered (ms; lower is better) ↔ \`sbatch --array=0-$((N - 1))\` accepted" "array_real_$N" submit_ms "$s_array_submit" no
  row "array job of $N \`true\` children, 1 vCPU each, real capacity, end to end (children/s) ↔ Slurm $N-task array" "array_real_$N" jobs_per_s "$s_array_e2e" no
  row "array job of $N \`true\` children, FARGATE 0.25 vCPU each, end to end (children/s)" "array_fargate_$N" jobs_per_s "" no
  row "single job, SubmitJob → SUCCEEDED seen, idle server (ms; lower is better) ↔ \`sbatch\` → gone from \`squeue\`" latency median_ms "$s_lat" no
}

slurm_extras() {
  [[ -f $WORK/slurm/summary.txt ]] || {
    echo "The Slurm baseline was not measured in this run (SKIP_SLURM=1 or it failed)."
    return 0
  }
  echo "Slurm figures without a gleaner counterpart, and the configuration measured (medians):"
  echo
  local key
  for key in slurm_srun_true_s slurm_submit_s slurm_e2e_s slurm_array_e2e_s slurm_submit_failures \
    slurm_version slurm_profile slurm_sched_params slurm_epilog; do
    echo "- \`$key\` = $(slurm_value "$key")"
  done
}

detail_table() {
  echo "| run | repetition | jobs | seconds | jobs/s | submit phase | server-side s (first createdAt → last stoppedAt) |"
  echo "|---|---|---|---|---|---|---|"
  jq -r 'select(.figure == "e2e" or .figure == "array") |
    (if .submit_seconds then "\(.submit_seconds) s" else "\(.submit_ms) ms" end) as $submit |
    "| \(.key) | \(.rep) | \(.jobs) | \(.seconds) | \(.jobs_per_s) | \($submit) | \(.server_seconds) |"' \
    "$RAW" | sort -t'|' -k2,2 -k3,3n
}

# Load average and CPU/IO pressure (share of time some task waited for CPU / for IO, last 60 s).
machine_load() {
  local cpu io
  cpu=$(sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || true)
  io=$(sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/\1/p' /proc/pressure/io 2>/dev/null || true)
  printf 'load %s, CPU pressure %s%%, IO pressure %s%%' "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "${cpu:-n/a}" "${io:-n/a}"
}

# What is being measured, recorded right after the build (other work may commit meanwhile).
record_version() {
  COMMIT=$(git -C "$REPO" rev-parse --short HEAD)
  DIRTY=""
  if [[ -n $(git -C "$REPO" status --porcelain -- src CMakeLists.txt) ]]; then
    DIRTY=" (with uncommitted changes under src/)"
  fi
  BINARY_NOTE=""
  [[ -z ${GLEANER_BINARY:-} ]] || BINARY_NOTE="; binary measured: \`$GLEANER_BINARY\`"
}

readonly BEGIN_MARK="<!-- bench-run:begin (generated by bench/run.sh) -->"
readonly END_MARK="<!-- bench-run:end -->"

# This script's part of the report, without the markers.
report_block() {
  cat <<EOF
## Service figures: HTTP API, durable submits, jobs run as processes (\`bench/run.sh\`)

Generated by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); gleaner commit \`$COMMIT\`$DIRTY$BINARY_NOTE.
Machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM,
data directory on $(df -T "$WORK" | awk 'NR == 2 {print $2 " (" $1 ")"}'); $(uname -sr).
Machine load (load average 1/5/15 min; CPU and IO pressure = share of the last 60 s in which some task
waited for a CPU / for IO): before $LOAD_BEFORE; after gleaner's figures $LOAD_MID; at the end $LOAD_AFTER.
Other work shares this machine, and the load generator runs on the same CPUs as the server: the
min–max spreads below are mostly that contention, and Slurm measured under the same conditions.

Each figure is the median of $REPS repetitions (min–max in brackets), each against a fresh \`gleaner up\`
with an empty data directory. Submit runs: $N jobs with 1 client, $SUBMIT_JOBS jobs with $CLIENTS clients; end-to-end
bursts of $N and $N_LARGE jobs submitted by $CLIENTS clients. The Slurm baseline is
\`$(basename "$SLURM_SCRIPT") -n $N -r $REPS\` (tuned profile), run right after gleaner's figures.

$(table)

$(slurm_extras)

### What is measured

- **Durable SubmitJob**: \`gleaner_bench submit\`; each client thread holds one keep-alive HTTP/1.1
  connection and sends SubmitJob requests back to back; every answer must be 200 with a \`jobId\`. gleaner
  answers only after the job is committed to SQLite (WAL, \`synchronous=FULL\`, group commit), so each
  acknowledged job survives a crash. "Jobs run meanwhile" submits to a queue whose jobs start at once
  (like Slurm's plain \`sbatch\`); "nothing runs" submits to a queue whose only compute environment is
  DISABLED, so jobs wait in RUNNABLE (like \`sbatch -H\`).
- **End to end**: \`gleaner_bench e2e\`; from the first SubmitJob until DescribeJobs (batches of 100,
  polled every $E2E_POLL_MS ms) has seen every job SUCCEEDED, for jobs running \`true\`. Capacity:
  - *real*: \`gleaner up\` with the machine's own capacity ($(nproc) vCPUs) and 1-vCPU jobs, so at most
    $(nproc) jobs run at once — the same limit Slurm has here (1-CPU jobs on $(nproc) CPUs). This is the like-for-like row.
  - *FARGATE 0.25 vCPU*: a FARGATE compute environment and a \`platformCapabilities: [FARGATE]\` definition
    asking 0.25 vCPU (EC2 definitions must ask whole vCPUs), so up to $(( $(nproc) * 4 )) run at once, still within real capacity.
  - *oversubscribed*: \`gleaner up --vcpus $OVERSUB_VCPUS\` **declares more vCPUs than the machine has**, so up
    to $OVERSUB_VCPUS 1-vCPU jobs run at once. This measures the scheduler's own ceiling, not an honest
    capacity setting.
- **Array job**: \`gleaner_bench array\`; one SubmitJob with \`arrayProperties.size\` = $N (children run
  \`true\`), then DescribeJobs on the parent every $E2E_POLL_MS ms until it is SUCCEEDED. Compared with
  Slurm's \`sbatch --array\` of the same size.
- **Single-job latency**: \`gleaner_bench latency\`; one job at a time on an idle server, SubmitJob sent →
  DescribeJobs (polled every 1 ms) reports SUCCEEDED; $LAT_SAMPLES samples per repetition.
- **AWS reference**: AWS Batch documents a SubmitJob rate quota of 50 requests/s (per account and Region);
  the last column is gleaner's rate over that cap.

### End-to-end runs in detail

$(detail_table)
EOF
}

# Replaces the block between the markers in OUT (or puts it right under the title), keeping the rest.
write_report() {
  local block=$WORK/block.md text=$WORK/report.md
  { echo "$BEGIN_MARK"; report_block; echo "$END_MARK"; } >"$block"
  if [[ -f $OUT ]] && grep -qF "$BEGIN_MARK" "$OUT" && grep -qF "$END_MARK" "$OUT"; then
    awk -v begin="$BEGIN_MARK" -v end="$END_MARK" -v block="$block" '
      $0 == begin { while ((getline line < block) > 0) print line; skipping = 1; next }
      skipping && $0 == end { skipping = 0; next }
      !skipping { print }' "$OUT" >"$text"
  else
    {
      echo "# gleaner benchmarks"
      echo
      cat "$block"
      if [[ -f $OUT ]]; then
        echo
        sed '1{/^# gleaner benchmarks$/d}' "$OUT"
      fi
    } >"$text"
  fi
  mv "$text" "$OUT"
  log "wrote $OUT"
}

# ---------------------------------------------------------------- main

main() {
  command -v jq >/dev/null || die "jq is required"
  command -v curl >/dev/null || die "curl is required"
  trap cleanup EXIT
  build
  record_version
  log "work directory $WORK"
  LOAD_BEFORE=$(machine_load)
  gleaner_figures
  LOAD_MID=$(machine_load)
  slurm_baseline
  LOAD_AFTER=$(machine_load)
  write_report
}

main "$@"
