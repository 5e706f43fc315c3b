"""Runs Teller: `python server.py` serves the app `compose.create_app` builds from config.yml."""

from __future__ import annotations

import logging

import uvicorn

from bot.config import load_settings
from compose import create_app


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per bank call is noise
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_level="warning",
        access_log=False,
        ws_max_size=settings.server.max_frame_bytes,  # a bigger frame is refused as it arrives
    )


if __name__ == "__main__":
    main()
