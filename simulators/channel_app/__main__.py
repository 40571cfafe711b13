"""``python -m simulators.channel_app [--host H] [--port P]``: the channel-app simulator under uvicorn.

Settings come from SIM_CHANNEL_* environment variables; the options override them."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from simulators.channel_app.app import create_app
from simulators.channel_app.config import ChannelAppSettings


def main(argv: list[str] | None = None) -> None:
    settings = ChannelAppSettings()
    parser = argparse.ArgumentParser(prog="python -m simulators.channel_app", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


if __name__ == "__main__":
    main()
