"""Alembic, driven from code so `kelisim db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (blocking; call from a thread inside an event loop).

    "heads" rather than "head": features may add migrations on separate branches.
    """
    command.upgrade(alembic_config(database_url), revision)
