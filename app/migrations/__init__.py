"""Alembic migrations of every table (run with ``hub db upgrade``)."""
