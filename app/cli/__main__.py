"""``python -m app.cli``: the same as the ``hub`` command (the tests and the benchmark start processes this way)."""

from app.cli.main import app

app()
