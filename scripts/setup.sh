#!/usr/bin/env bash
# Sets up a fresh Debian machine for bootgate: the host tools it runs (from Debian's
# packages), then the npm dependencies and the compiled CLI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(qemu-system-x86 qemu-system-arm gcc-aarch64-linux-gnu qemu-utils kmod binutils cpio e2fsprogs xz-utils zstd make gcc libc6-dev libelf-dev zlib1g-dev clang llvm bpftool libbpf-dev dwarves mmdebstrap ovmf swtpm swtpm-tools libxml2-utils chromium ca-certificates redis-server docker.io lz4)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
echo "setup: updating apt package lists (kernels and guest userland come from them)"
$SUDO apt-get update -qq
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: bootgate needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi
echo "setup: installing npm dependencies and compiling"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

# The Docker provider and its tests need a Docker engine; a fresh machine has none running.
# No bridge and no iptables rules: containers use the host's network or none (ports on 127.0.0.1).
if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd (--bridge=none --iptables=false), log in /var/log/bootgate-dockerd.log"
  $SUDO sh -c 'nohup dockerd --bridge=none --iptables=false >/var/log/bootgate-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/bootgate-dockerd.log" >&2; exit 3; }
fi
