#!/usr/bin/env bash
# Serve Teller locally. Without MONGODB_URI, a SecantusDB process keeps data under var/secantus.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
if [ -z "${MONGODB_URI:-}" ]; then
  port="${TELLER_LOCAL_MONGO_PORT:-27027}"
  export MONGODB_URI="mongodb://127.0.0.1:${port}/?directConnection=true"
  if ! .venv/bin/python scripts/wait_mongo.py "$MONGODB_URI" 1 2>/dev/null; then
    .venv/bin/secantusd-py --host 127.0.0.1 --port "$port" --storage-path var/secantus \
      >var/secantus.log 2>&1 &
    mongo_pid=$!
    trap 'kill "$mongo_pid" 2>/dev/null || true' EXIT INT TERM
    .venv/bin/python scripts/wait_mongo.py "$MONGODB_URI" 30
  fi
fi
echo "Teller on http://127.0.0.1:${PORT:-8000}/ (MongoDB at ${MONGODB_URI%%\?*})"
.venv/bin/python server.py
