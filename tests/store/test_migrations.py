"""Migrations on the selected store (SQLite, or PostgreSQL with TEST_DATABASE_URL): they build
exactly the models, and they go all the way down and up again without leaving anything behind."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Base
from tests.fixtures.stores import sync_url


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def test_migrations_go_down_to_nothing_and_up_again(fresh_db_url: str) -> None:
    upgrade(fresh_db_url)
    assert _diff(fresh_db_url) == []
    assert "consultations" in _tables(fresh_db_url)

    command.downgrade(alembic_config(fresh_db_url), "base")
    assert _tables(fresh_db_url) == set()

    upgrade(fresh_db_url)
    assert _diff(fresh_db_url) == []
