#!/usr/bin/env bash
# Sets up a fresh machine for baaaht: pnpm and the workspace's dependencies.
#   scripts/setup.sh          what building and running need
#   scripts/setup.sh --test   also the Debian packages only the tests use:
#                             Python gRPC (interop tests), PostgreSQL (the
#                             store contract and e2e suites on PostgreSQL) and
#                             Podman with runc and busybox-static (the
#                             container tests' engine and image)
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
TEST_APT_PACKAGES=(python3-grpcio python3-grpc-tools podman runc busybox-static)

with_test=false
for arg in "$@"; do
  case "$arg" in
    --test) with_test=true ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "scripts/setup.sh: unknown argument '$arg' (try --test)" >&2
      exit 2
      ;;
  esac
done

# The Debian packages the tests need that are not installed yet.
missing_test_packages() {
  local pkg
  for pkg in "${TEST_APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"
  done
  # any installed major version of the server will do
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || echo postgresql
}

if $with_test; then
  mapfile -t missing < <(missing_test_packages)
  if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
      echo "scripts/setup.sh: the tests need ${missing[*]} (Debian packages), and there is no apt-get here" >&2
      exit 1
    fi
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi

pnpm install --frozen-lockfile
