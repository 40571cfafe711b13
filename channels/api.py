"""The hub's HTTP application: health, Prometheus metrics, and (as they land) the staff and channel APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from hub import __version__, metrics  # noqa: F401  (registers the hub's metrics on /metrics)
from hub.db import create_engine
from hub.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_engine(settings)
        yield
        await app.state.engine.dispose()

    app = FastAPI(
        title="石家庄市企业退休人员社会化管理服务信息系统 — integration hub",
        version=__version__,
        lifespan=lifespan,
    )

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"])
    async def health(request: Request) -> JSONResponse:
        """Liveness and database reachability, for load balancers and the run command."""
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return JSONResponse(
                {"status": "unavailable", "database": f"{type(error).__name__}", "message": "数据库不可用"},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})

    return app
