"""`python -m sandbox --port 8100 --database-url URL`; the API key comes from BANK_API_KEY."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from sandbox.app import create_app

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/sandbox.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--database-url", default=os.environ.get("SANDBOX_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    args = parser.parse_args(argv)
    api_key = os.environ.get("BANK_API_KEY", "")
    if not api_key:
        print("BANK_API_KEY must be set in the environment", file=sys.stderr)
        return 2
    uvicorn.run(create_app(args.database_url, api_key), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
