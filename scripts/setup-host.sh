#!/usr/bin/env bash
# Prepares a Debian 12 machine to build, run and test machine:
# Debian packages, npm dependencies, the build, and a local dockerd.
# Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

APT_PACKAGES=(
  docker.io          # local engine for the docker driver and the test hosts
  debootstrap        # builds the machine and test-host images from Debian's packages
  openssh-client     # --native-ssh=false and scp
  rsync              # scp --delta
  sshfs              # machine mount
  iproute2
  python3-grpcio     # the conformance kit's non-Node driver
  python3-grpc-tools
  python3-cryptography  # AutoMTLS certificates in the Python conformance driver
  hyperfine          # benchmarks
  busybox-static     # the quickstart's small image, imported into a machine with no registry
  fish               # env's output is evaluated by the real shells in the tests
  tcsh
  # The Go driver in test/fixtures/go-driver, built offline in GOPATH mode
  # against Debian's /usr/share/gocode. protobuf 1.5 (the APIv1 shim over
  # APIv2) replaces 1.3, so grpc's codec handles protoc-gen-go's messages.
  golang-go
  golang-github-hashicorp-go-plugin-dev
  golang-google-grpc-dev
  golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev
  protobuf-compiler
  protoc-gen-go
  protoc-gen-go-grpc
  zsh                # machine autocomplete: the zsh completion is exercised in a real zsh
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "error: installing packages needs root; run as root or install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "building"
npm run --silent build

bash scripts/ensure-dockerd.sh
