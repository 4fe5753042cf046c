# Sourced by the project's entry scripts: installs the npm dependencies when the lock file changed
# (or on a fresh clone), puts the project's own Node 24 first on PATH, and refuses an older Node.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
stamp="node_modules/.cabinet-install-stamp"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
fi
export PATH="$ROOT/node_modules/.bin:$PATH"
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
export KAFKAJS_NO_PARTITIONER_WARNING=1
export TURBO_TELEMETRY_DISABLED=1
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 24 ]; then
  echo "[bootstrap] Node $(node -v) is too old: the project pins Node 24 (npm package node@24)." >&2
  echo "[bootstrap] Was the install run with --ignore-scripts? Run: rm -rf node_modules && npm ci" >&2
  exit 1
fi
