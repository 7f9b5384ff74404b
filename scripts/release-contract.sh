#!/usr/bin/env bash
# Moves the `buf breaking` baseline to the contract of the current commit:
# snapshots buf.yaml, proto/ and proto-grpc/ into contract/released.tar.gz (a
# reproducible tarball that keeps the module layout) and records the
# commit in contract/RELEASED_COMMIT. Commit both files in one reviewed commit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "$(git status --porcelain -- proto proto-grpc)" ]; then
  echo "release-contract: commit the .proto changes first; the baseline must match a commit" >&2
  exit 1
fi
git archive --format=tar HEAD buf.yaml proto proto-grpc | gzip -n > contract/released.tar.gz
git rev-parse HEAD > contract/RELEASED_COMMIT
echo "baseline is now the contract of $(cat contract/RELEASED_COMMIT)"
