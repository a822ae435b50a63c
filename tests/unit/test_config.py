"""Where the bot keeps updates during a store outage follows the store it uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings


@pytest.mark.parametrize(
    ("url", "spool"),
    [
        ("sqlite+aiosqlite:////srv/kelisim/kelisim.sqlite3", "/srv/kelisim/kelisim-spool.jsonl"),
        (
            "sqlite+aiosqlite:///file:/srv/kelisim/kelisim.sqlite3?mode=ro&uri=true",
            "/srv/kelisim/kelisim-spool.jsonl",
        ),
        ("postgresql+asyncpg://kelisim@db/kelisim", str(PROJECT_ROOT / "var" / "spool.jsonl")),
        ("sqlite+aiosqlite:///:memory:", str(PROJECT_ROOT / "var" / "spool.jsonl")),
    ],
)
def test_the_spool_sits_beside_the_sqlite_file(url: str, spool: str) -> None:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    assert settings.spool_file == Path(spool)


def test_an_explicit_spool_path_wins(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, spool_path=tmp_path / "s.jsonl")  # type: ignore[call-arg]
    assert settings.spool_file == tmp_path / "s.jsonl"
