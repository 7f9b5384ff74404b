#!/usr/bin/env bash
# Sets up a fresh machine for baaaht: pnpm, the Debian packages the tests use
# (Python gRPC for the interop tests), and the workspace's dependencies.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
APT_PACKAGES=(python3-grpcio python3-grpc-tools)

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi

if command -v apt-get >/dev/null && ! dpkg -s "${APT_PACKAGES[@]}" >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
fi

pnpm install --frozen-lockfile
