"""The ``hub`` command (``[project.scripts]``): every process of the hub and every operator task."""

from app.cli.main import app

__all__ = ["app"]
