#!/usr/bin/env bash
# Start what the tests need that is not started by the tests themselves, then run pytest.
# SecantusDB (or $MONGODB_URI), the sandbox bank and Teller servers are started by fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null; then
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --daemonize yes --port 6379 --save "" --appendonly no
  for _ in $(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
# The browser tests drive the system Chromium through playwright (`playwright install`
# cannot download here): install it once when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# The conversation design agrees with the NLU data and the code, and its conversations
# run as written (offline: in-memory stores, the sandbox bank in process).
.venv/bin/python -m bot validate
.venv/bin/python -m bot test
.venv/bin/python -m pytest "$@"
