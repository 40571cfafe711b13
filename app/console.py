"""The staff console (console/, Vue 3 + Element Plus) as the API process serves it: the production build under
/console/, with no CDN and nothing fetched at run time (the city runs the system on a closed network).

Hashed assets (``/console/assets/*``) are cached for a year (their names change with their content); ``index.html``
is revalidated on every load so a new release is picked up at once. Any other path under /console/ is a page of the
single-page application and answers with ``index.html`` (the router shows the page). The build is made by ``make
run`` and ``make test`` (``scripts/console.sh build``); without it /console/ says so instead of answering 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUILD = ROOT / "console" / "dist"
PREFIX = "/console"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
REVALIDATE = {"Cache-Control": "no-cache"}
_NOT_BUILT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>控制台尚未构建</title></head>
<body><h1>控制台尚未构建</h1><p>请在项目目录运行 <code>make run</code>（或 <code>bash scripts/console.sh build</code>）
后刷新本页。</p></body></html>"""


def console_router(build: Path = DEFAULT_BUILD) -> APIRouter:
    build = build.resolve()
    router = APIRouter(include_in_schema=False)

    @router.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/")

    @router.get(PREFIX, include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/")

    @router.api_route(PREFIX + "/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_file(path: str) -> Response:
        index = build / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503, headers=REVALIDATE)
        wanted = (build / path).resolve()
        if path and wanted.is_file() and wanted.is_relative_to(build):
            cache = IMMUTABLE if wanted.parent.name == "assets" else REVALIDATE
            return FileResponse(wanted, headers=cache)
        return FileResponse(index, headers=REVALIDATE, media_type="text/html")

    return router


def mount_console(app: FastAPI, build: Path | None = None) -> None:
    app.include_router(console_router(build or DEFAULT_BUILD))
