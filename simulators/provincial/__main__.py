"""``python -m simulators.provincial [--host H] [--port P]``: the simulator under uvicorn (SIM_PROVINCIAL_* env)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from simulators.provincial.app import create_app
from simulators.provincial.settings import SimulatorSettings


def main(argv: list[str] | None = None) -> None:
    settings = SimulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m simulators.provincial", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--rate", type=float, default=settings.rate, help="background changes per second")
    args = parser.parse_args(argv)
    settings = settings.model_copy(update={"host": args.host, "port": args.port, "rate": args.rate})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


if __name__ == "__main__":
    main()
