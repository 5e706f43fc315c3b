"""Builds the FastAPI app from config.yml and runs it: `python server.py`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from bot.auth.secrets import load_secrets
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.services import build_services
from connectors import agent, dev, link_codes, rest, telegram, websocket, whatsapp
from connectors.errors import install_error_handlers

STATIC = Path(__file__).resolve().parent / "connectors" / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    secrets = load_secrets(settings.dev_mode, PROJECT_ROOT / "var")
    sandbox_app = None
    if settings.bank.embedded_sandbox and not settings.bank.base_url:
        from sandbox.app import create_app as create_sandbox

        sandbox_app = create_sandbox(settings.bank.sandbox_database_url, secrets.bank_api_key)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if sandbox_app is not None:
                await stack.enter_async_context(sandbox_app.router.lifespan_context(sandbox_app))
            app.state.services = await stack.enter_async_context(build_services(settings, secrets))
            yield

    app = FastAPI(
        title="Teller", lifespan=lifespan, docs_url="/api/docs" if settings.dev_mode else None
    )
    install_error_handlers(app)
    app.mount("/widget", StaticFiles(directory=STATIC / "widget"), name="widget")  # any host page
    app.include_router(rest.router)
    app.include_router(websocket.router)
    # Messaging channels: each webhook answers 404 while its channel's secrets are unset.
    app.include_router(whatsapp.router)
    app.include_router(telegram.router)
    app.include_router(link_codes.router)
    agent.install(app)  # the agent console at /agent

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        await app.state.services.store.ping()
        return {"status": "ok"}

    if settings.dev_mode:
        app.include_router(dev.router)
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def demo_page() -> FileResponse:
            return FileResponse(STATIC / "demo.html")

    if sandbox_app is not None:
        app.mount("/sandbox", sandbox_app)
    return app


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
    )


if __name__ == "__main__":
    main()
