#!/usr/bin/env bash
# Moves the `buf breaking` baseline to the contract of the current commit:
# rebuilds contract/released.binpb from proto/ and proto-grpc/ and records the
# commit in contract/RELEASED_COMMIT. Commit both files in one reviewed commit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "$(git status --porcelain -- proto proto-grpc)" ]; then
  echo "release-contract: commit the .proto changes first; the baseline must match a commit" >&2
  exit 1
fi
pnpm exec buf build -o contract/released.binpb
git rev-parse HEAD > contract/RELEASED_COMMIT
echo "baseline is now the contract of $(cat contract/RELEASED_COMMIT)"
