"""Wait until a MongoDB-compatible server answers a ping: `wait_mongo.py URI SECONDS`."""

import sys
import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError


def main(uri: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
            return 0
        except PyMongoError:
            if time.monotonic() > deadline:
                print(f"no MongoDB answering at {uri}", file=sys.stderr)
                return 1
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
