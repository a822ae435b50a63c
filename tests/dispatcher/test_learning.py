"""Learning materials: the YAML is checked as a whole, `kelisim learn import` loads it, and
/learn and the courses intent show it in the student's language with links."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.factory import App
from bot.services.learning import import_materials
from knowledge_base.learning import LEARNING_DIR, load_materials, parse_materials
from tests.consult_support import consent
from tests.fakes.chat import ChatDriver
from tests.lang import looks_kazakh, looks_russian
from tests.process.test_cli import kelisim
from tests.support import RuleNlu

GOOD = """
- id: textbook
  kind: textbook
  title: {kk: "Оқу құралы", ru: "Учебное пособие"}
  description: {kk: "Этносаралық қатынастар туралы", ru: "О межэтнических отношениях"}
  url: "https://example.org/book"
"""


def test_the_curated_materials_are_valid() -> None:
    result = load_materials()
    assert result.ok, result.problems
    kinds = {m.kind for m in result.items}
    assert {"course", "webinar", "methodology", "textbook"} <= kinds


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('ru: "Учебное пособие"', 'ru: ""'), "title.ru is missing"),
        (("kind: textbook", "kind: novel"), "kind must be one of"),
        (('"https://example.org/book"', '"http://example.org/book"'), "https://"),
        (("id: textbook", "id: Textbook!"), "slug"),
        (("  url:", "  colour: red\n  url:"), "unknown fields: colour"),
    ],
)
def test_a_bad_entry_loads_nothing(change: tuple[str, str], problem: str) -> None:
    text = GOOD.replace(*change) + GOOD.replace("id: textbook", "id: other")
    result = parse_materials(text, "materials.yml")
    assert not result.items
    assert any(problem in p and "materials.yml" in p for p in result.problems), result.problems


def test_duplicate_ids_and_aliases_are_refused() -> None:
    assert not parse_materials(GOOD + GOOD, "m.yml").ok
    aliased = "- &a {id: x, kind: course, title: *a}\n"
    result = parse_materials(aliased, "m.yml")
    assert not result.ok and "aliases" in result.problems[0]


def test_cli_validates_and_imports(tmp_path: Path) -> None:
    db = tmp_path / "learn.sqlite3"
    for command in (("learn",), ("learn", "validate"), ("learn", "import")):
        assert "usage: kelisim" in kelisim(*command, "--help", db=db).stdout
    bad = tmp_path / "bad.yml"
    bad.write_text(GOOD.replace("kind: textbook", "kind: novel"), encoding="utf-8")
    result = kelisim("learn", "validate", str(bad), db=db)
    assert result.returncode == 1 and "kind must be one of" in result.stderr
    assert kelisim("learn", "import", str(bad), db=db).returncode == 1
    result = kelisim("learn", "import", str(LEARNING_DIR), db=db)
    assert result.returncode == 0, result.stderr
    assert "9 added" in result.stdout
    good = tmp_path / "good.yml"
    good.write_text(GOOD, encoding="utf-8")
    result = kelisim("learn", "import", str(good), "--replace", db=db)
    assert "1 added" in result.stdout and "9 removed" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("select slug from learning_materials").fetchall() == [("textbook",)]


async def _import_curated(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        await import_materials(session, load_materials().items)


async def test_learn_shows_materials_in_the_students_language(
    student: ChatDriver, other_student: ChatDriver, app: App, nlu: RuleNlu
) -> None:
    await _import_curated(app)
    await consent(student)
    await student.send_command("/learn")
    text = student.last_text()
    assert looks_kazakh(text)
    assert "978-601-82132-0-5" in text and "https://assembly.kz" in text
    assert "Тәлімгерлік" in text

    nlu.script("межкультурная коммуникация курсы есть?", "courses")
    await other_student.send("межкультурная коммуникация курсы есть?")
    text = other_student.last_text()
    assert looks_russian(text.split("\n")[0]) and "Курсы межкультурной коммуникации" in text
    assert "https://adilet.zan.kz" in text


async def test_before_any_import_learn_still_answers(student: ChatDriver) -> None:
    await student.send_command("/learn")
    assert student.last_text()
    assert student.buttons()
