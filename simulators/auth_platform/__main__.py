"""``python -m simulators.auth_platform [--host H] [--port P] [--rate R]``: the simulator under uvicorn.

Settings come from SIM_AUTH_* environment variables; the options override them."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from simulators.auth_platform.app import create_app
from simulators.auth_platform.config import AuthPlatformSettings


def main(argv: list[str] | None = None) -> None:
    settings = AuthPlatformSettings()
    parser = argparse.ArgumentParser(prog="python -m simulators.auth_platform", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--rate", type=float, default=settings.rate, help="background face results per second")
    parser.add_argument("--webhook-url", default=settings.webhook_url, help="the hub's face-results webhook")
    args = parser.parse_args(argv)
    settings = settings.model_copy(
        update={"host": args.host, "port": args.port, "rate": args.rate, "webhook_url": args.webhook_url}
    )
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


if __name__ == "__main__":
    main()
