"""The shape DESIGN.md promises: plain-Python nlu/ and knowledge_base/, migrations that match."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.db.migrate import upgrade
from bot.db.models import Base


def test_nlu_and_knowledge_base_do_not_import_aiogram() -> None:
    code = (
        "import sys, nlu.normalize, nlu.client, nlu.rules, nlu.rasa_runner, nlu.cli, "
        "knowledge_base.schema, knowledge_base.loader, knowledge_base.search; "
        "sys.exit('aiogram' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_normalize_imports_only_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules); import nlu.normalize; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "sys.exit(bool(new - {'nlu', 'unicodedata', 're', '_sre', 'sre_compile', 'sre_parse'}))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_migrations_create_exactly_the_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []
