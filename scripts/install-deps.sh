#!/usr/bin/env bash
# Installs everything gleaner needs to build, run and test, from Debian's archive only.
# Idempotent: packages already present are skipped, so a second run is fast.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-boto3 awscli
  curl procps openssl  # openssl: the TLS tests make their certificates with it
  clang libclang-rt-14-dev llvm-14  # sanitizers and libFuzzer (scripts/sanitizers.sh, fuzz.sh)
  # The container runtime (gleaner up --runtime container): podman with runc (crun cannot run on
  # cgroup v1 hybrid machines), catatonit for initProcessEnabled; the tests' images are made from
  # busybox-static, since no registry is needed.
  podman runc conmon catatonit netavark uidmap busybox-static
  # A job's own network (gleaner up --job-network): user-mode outbound networking for each
  # attempt's namespace; iproute2 and python3-requests for the tests (the tutorial's worker uses
  # requests).
  slirp4netns iproute2 python3-requests
  # promtool checks /metrics as Prometheus reads it (the package's server is not started: the
  # machine's policy, or no init, keeps it down; the tests never start it).
  prometheus
  # The dashboard's browser tests drive Debian's chromium with playwright-core (from npm).
  chromium
)

# Node.js and npm for the JavaScript SDK's tests: the machine's own when it has them (the SDK wants
# Node 20), else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
