#!/usr/bin/env bash
# What a new user and a package consumer do, checked on the committed tree:
#   1. a fresh clone in a temporary folder, with a clean environment (only PATH, HOME, TMPDIR and the locale: no
#      variable that CI or the caller exported), runs `npm install` and `npm run demo`;
#   2. `npm pack` makes the tarball, which is installed into an empty project (clean environment again), and that
#      project's `provmark verify`, `provmark watermark detect` and `provmark detect` run on the demo's files.
# Usage: bash scripts/fresh-check.sh [REPO]   (REPO defaults to this checkout; only committed files are cloned)
# HOME stays the user's: their npm configuration (~/.npmrc) and caches are part of the machine a user has.
set -euo pipefail
repo="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/provmark-fresh.XXXXXX")"
trap 'rm -rf "$work"' EXIT
home="${HOME:-/root}"

# A clean environment: what a login shell of a new user has, nothing exported by CI or by this script's caller.
clean() { env -i PATH="/usr/local/bin:/usr/bin:/bin" HOME="$home" TMPDIR="$work" LANG=C.UTF-8 "$@"; }
say() { printf '\n--- fresh-check: %s\n' "$*"; }

say "clone $repo"
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"

say "npm install (clean environment)"
clean npm install --no-audit --no-fund
say "npm run demo"
clean npm run demo

say "npm pack"
clean npm run build >/dev/null
tarball="$(clean npm pack --silent | tail -n 1)"
ls -l "$tarball"
listing="$(tar -tzf "$tarball")" # (not piped into grep -q: its early exit would fail tar under pipefail)
grep -qx 'package/src/detect/models/calibration.json' <<<"$listing" || {
  echo "fresh-check: the detector model is missing from $tarball" >&2
  exit 1
}

say "install the tarball into an empty project (clean environment)"
mkdir "$work/consumer"
cd "$work/consumer"
clean npm init -y >/dev/null
clean npm install --no-audit --no-fund "$work/clone/$tarball"

demo="$work/clone/demo-output"
run() {
  say "consumer: provmark $*"
  set +e
  clean npx --no-install provmark "$@"
  local rc=$?
  set -e
  echo "(exit $rc)"
  return $rc
}
run verify "$demo/protected.jpg" --trust "$demo/keys/ca.cert.pem"
run watermark detect "$demo/shared.jpg"
run detect "$demo/capture.jpg"
say "passed"
