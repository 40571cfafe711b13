"""The hub's HTTP application: the staff API, the mobile channel API, health and Prometheus metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.console import mount_console
from app.imports import COMMITTERS as IMPORT_COMMITTERS
from channels import errors, http_headers, printing
from channels.auth_platform import webhook as auth_platform_webhook
from channels.mobile import me as mobile_me
from channels.mobile import notifications as mobile_notifications
from channels.mobile import registration as mobile_registration
from channels.staff import (
    accounts,
    adjustments,
    audit,
    auth,
    certifications,
    community_moves,
    deaths,
    dictionary,
    employers,
    handovers,
    institutions,
    ledgers,
    legacy,
    ministry_imports,
    queries,
    registrations,
    reports,
    residence,
    retiree_sheet,
    retirees,
    statistics,
    suspension_batches,
    suspicious,
    timeline,
    transfers,
    worklists,
)
from hub import __version__, metrics  # noqa: F401  (registers the hub's metrics on /metrics)
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings

ROUTERS = (
    auth.router,
    institutions.router,
    accounts.router,
    dictionary.router,
    certifications.router,
    deaths.router,
    residence.router,  # before retirees: GET /retirees/non-local must not be taken for /retirees/{id}
    retirees.router,
    retiree_sheet.router,  # 7.10: a retiree's base-info sheet
    registrations.router,
    audit.router,
    reports.router,
    statistics.router,  # issue 19: the reports of section 7 drawn from declarations (after 7.2's own paths)
    queries.router,  # issue 18: the queries of section 6
    worklists.router,
    timeline.router,
    transfers.router,
    community_moves.router,
    handovers.router,
    employers.router,  # 6.1: the talent service centre
    ministry_imports.router,
    legacy.router,  # issue 17: the legacy migration's reports (city level)
    adjustments.router,
    ledgers.router,
    suspension_batches.router,
    suspicious.router,
    mobile_registration.router,
    mobile_notifications.router,
    mobile_me.router,
    auth_platform_webhook.router,
)


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """The API process. ``hub`` lets a test hand in its own wiring; by default bootstrap() builds it at start-up."""
    settings = settings or Settings()
    printing.configure_concurrency(settings.print_concurrency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.hub = hub or bootstrap(settings, consumer_groups=())
        yield
        if hub is None:
            await app.state.hub.close()

    app = FastAPI(
        title="石家庄市企业退休人员社会化管理服务信息系统 — integration hub",
        version=__version__,
        lifespan=lifespan,
        description=(
            "石家庄市企业退休人员社会化管理服务信息系统：工作人员接口与渠道接口。错误统一返回 {code, message, detail}。"
        ),
    )
    if hub is not None:
        app.state.hub = hub
    errors.install(app)
    app.state.import_committers = IMPORT_COMMITTERS  # 2.7/2.8: which kinds of ministry file can be committed
    app.add_middleware(http_headers.SecurityHeaders)
    # The console's scripts (Element Plus is 1 MB, 311 KB compressed) and the API's lists travel compressed; the
    # console's hashed assets are then cached for a year, so a workstation downloads them once per release.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    for router in ROUTERS:
        app.include_router(router, responses=errors.documented_errors(router))

    mount_console(app)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"])
    async def health(request: Request) -> JSONResponse:
        """Liveness and database reachability, for load balancers and the run command."""
        try:
            async with request.app.state.hub.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return JSONResponse(
                {"status": "unavailable", "database": f"{type(error).__name__}", "message": "数据库不可用"},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})

    return app
