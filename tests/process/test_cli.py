"""The `kelisim` command line as operators and outside tools use it (README.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KELISIM = str(Path(sys.executable).parent / "kelisim")
SMALL_KB = ROOT / "tests" / "data" / "faq_small.yml"


def kelisim(
    *args: str, db: Path | str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI on a SQLite file `db`, or on the store URL `db`."""
    if isinstance(db, str):
        url, folder = db, Path(tempfile.gettempdir())
    else:
        url, folder = f"sqlite+aiosqlite:///{db}", db.parent
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RASA_URL": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [KELISIM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or folder,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite3"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["console"],
        ["db", "upgrade"],
        ["kb", "validate"],
        ["kb", "import"],
        ["kb", "export"],
        ["kb", "search"],
        ["nlu", "train"],
        ["nlu", "serve"],
        ["nlu", "parse"],
        ["nlu", "eval"],
    ],
)
def test_every_command_has_help(command: list[str], db: Path) -> None:
    result = kelisim(*command, "--help", db=db)
    assert result.returncode == 0, result.stderr
    assert "usage: kelisim" in result.stdout


def test_db_upgrade_creates_the_store(db: Path) -> None:
    result = kelisim("db", "upgrade", db=db)
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_kb_validate_reports_every_problem_with_file_and_id(tmp_path: Path, db: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "ok-entry",
                    "category": "x",
                    "question": {"kk": "а", "ru": "б"},
                    "answer": {"kk": "в", "ru": "г"},
                },
                {
                    "id": "no-russian",
                    "category": "x",
                    "question": {"kk": "а"},
                    "answer": {"kk": "в", "ru": "г"},
                },
                {
                    "id": "Bad Id!",
                    "category": "x",
                    "question": {"kk": "а", "ru": "б"},
                    "answer": {"kk": "в", "ru": "г"},
                },
                {
                    "id": "ok-entry",
                    "category": "x",
                    "question": {"kk": "а", "ru": "б"},
                    "answer": {"kk": "в", "ru": "г"},
                },
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    result = kelisim("kb", "validate", str(bad), db=db)
    assert result.returncode != 0
    assert "bad.yml" in result.stderr
    assert "no-russian" in result.stderr and "Bad Id!" in result.stderr
    assert "ok-entry" in result.stderr  # the duplicate
    good = kelisim("kb", "validate", str(SMALL_KB), db=db)
    assert good.returncode == 0 and "7" in good.stdout


def test_kb_import_is_all_or_nothing_then_search_and_export(tmp_path: Path, db: Path) -> None:
    broken = tmp_path / "broken.yml"
    entries = yaml.safe_load(SMALL_KB.read_text(encoding="utf-8"))
    broken.write_text(yaml.safe_dump([*entries, {"id": "x"}], allow_unicode=True), encoding="utf-8")
    refused = kelisim("kb", "import", str(broken), "--replace", db=db)
    assert refused.returncode != 0
    assert "broken.yml" in refused.stderr
    # Nothing was imported from the broken file: the store still has only the curated seed.
    before = tmp_path / "before.yml"
    assert kelisim("kb", "export", str(before), db=db).returncode == 0
    assert not {e["id"] for e in yaml.safe_load(before.read_text(encoding="utf-8"))} & {
        e["id"] for e in entries
    }

    imported = kelisim("kb", "import", str(SMALL_KB), "--replace", db=db)
    assert imported.returncode == 0, imported.stderr
    assert "added" in imported.stdout and "removed" in imported.stdout

    answer = json.loads(kelisim("kb", "search", "nauryz qashan", "--json", db=db).stdout)
    assert answer == {
        "id": "nauryz-dates",
        "score": answer["score"],
        "confident": True,
        "alternatives": [],
    }
    assert 0 < answer["score"] <= 1

    lines = kelisim(
        "kb",
        "search",
        "-",
        "--lang",
        "ru",
        db=db,
        stdin="когда наурыз\nкак приготовить плов\n\nгосударственный язык\n",
    )
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["nauryz-dates", None, None, "state-language"]
    assert rows[1]["confident"] is False

    out = tmp_path / "export.yml"
    exported = kelisim("kb", "export", str(out), db=db)
    assert exported.returncode == 0, exported.stderr
    dumped = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {e["id"] for e in dumped} == {e["id"] for e in entries}
    hidden = next(e for e in dumped if e["id"] == "hidden-draft")
    assert hidden["published"] is False
    assert kelisim("kb", "validate", str(out), db=db).returncode == 0


def test_kb_search_on_a_fresh_store_uses_the_curated_base(db: Path) -> None:
    result = kelisim("kb", "search", "Наурыз мейрамы қашан?", "--json", db=db)
    row = json.loads(result.stdout)
    assert row["id"] is not None and row["confident"] is True


def test_console_chats_with_the_real_dispatcher(db: Path) -> None:
    result = kelisim("console", db=db, stdin="/start\n#2\n#1\nкогда наурыз\n/quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Kelisim:" in out
    assert "21" in out  # the Nauryz answer


def test_outbox_lists_what_is_owed_and_puts_dead_rows_back(db: Path) -> None:
    import sqlite3

    first = kelisim("outbox", "--json", db=db)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["counts"]["dead"] == 0
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO outbox_messages (key, chat_id, method, params, status, attempts, "
            "not_before, created_at, last_error) VALUES ('k', 777, 'SendMessage', "
            "'{\"chat_id\": 777, \"text\": \"secret words\"}', 'dead', 3, '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 'Forbidden: bot was blocked by the user')"
        )
    listed = kelisim("outbox", db=db)
    assert listed.returncode == 0, listed.stderr
    assert "dead 1" in listed.stdout
    assert "SendMessage to 777" in listed.stdout and "blocked" in listed.stdout
    assert "secret words" not in listed.stdout  # texts may be personal
    retried = kelisim("outbox", "--retry-dead", "--json", db=db)
    data = json.loads(retried.stdout)
    assert data["counts"]["dead"] == 0 and data["counts"]["pending"] == 1
    assert "put back to be sent: 1" in retried.stderr
