"""The adapters by technology: `mongo/` (PyMongo), `redis.py` (redis.asyncio) and `memory.py`
(in-process twins of every port). Nothing outside this package imports a driver."""
