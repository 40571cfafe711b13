"""Alembic migrations cover every table the models declare (issue: Alembic migrations for every table)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import connectors.tables  # noqa: F401
import domain.tables  # noqa: F401
import hub.models  # noqa: F401
from hub.settings import Settings

pytestmark = pytest.mark.integration


def test_the_migrated_database_matches_the_models(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    # Test-only tables (it_*) are created by the test fixtures, not by migrations.
    relevant = [d for d in differences if not (d[0] == "remove_table" and d[1].name.startswith("it_"))]
    relevant = [d for d in relevant if not (d[0] == "remove_index" and d[1].table.name.startswith("it_"))]
    assert relevant == []
