"""The content lint keeps the shipped texts true and in one voice: no article number the
reviewed facts do not back, phone numbers only from the help-line list, both languages of
equal substance, a source on every legal entry, and «вы» / «сіз» everywhere (docs/voice.md)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from knowledge_base.learning import load_materials
from knowledge_base.lint import LintProblem, informal_words, lint_items, lint_text, lint_texts
from knowledge_base.loader import load_paths

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge_base" / "data"
MATERIALS = ROOT / "knowledge_base" / "learning" / "materials.yml"


def lint_faq(directory: Path) -> list[LintProblem]:
    problems: list[LintProblem] = []
    for path in sorted(directory.glob("*.yml")):
        result = load_paths([path])
        assert result.ok, result.problems
        problems += lint_items(result.items, path.name)
    return problems


def lint_materials(path: Path) -> list[LintProblem]:
    result = load_materials([path])
    assert result.ok, result.problems
    problems: list[LintProblem] = []
    for material in result.items:
        problems += lint_texts(material.title, f"{material.id}: title")
        problems += lint_texts(material.description, f"{material.id}: description")
    return problems


def plant(tmp_path: Path, entry_id: str, language: str, old: str, new: str) -> Path:
    """A copy of the shipped knowledge base with `old` replaced by `new` in one answer."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    for path in copy.glob("*.yml"):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in entries:
            if entry["id"] == entry_id:
                assert old in entry["answer"][language]
                entry["answer"][language] = entry["answer"][language].replace(old, new, 1)
                path.write_text(
                    yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8"
                )
                return copy
    raise AssertionError(f"no entry {entry_id}")


def test_the_shipped_knowledge_base_passes_the_lint() -> None:
    problems = lint_faq(DATA)
    assert not problems, "\n".join(map(str, problems))


def test_the_learning_materials_pass_the_lint() -> None:
    problems = lint_materials(MATERIALS)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_catalog_message_says_vy_and_cites_no_unbacked_article(language: str) -> None:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        catalog = read_po(stream)
    problems: list[LintProblem] = []
    for message in catalog:
        if message.id and isinstance(message.string, str):
            problems += lint_text(message.string, language, f"msgid {str(message.id)[:60]!r}")
    assert not problems, "\n".join(map(str, problems))


def test_a_planted_article_14_in_a_copy_fails_the_lint(tmp_path: Path) -> None:
    copy = plant(
        tmp_path,
        "rights-equality",
        "ru",
        "По Конституции 2026 года",
        "По статье 14 Конституции",
    )
    problems = [str(p) for p in lint_faq(copy)]
    assert len(problems) == 1
    assert "rights-equality: answer.ru" in problems[0] and "article 14" in problems[0]


def test_a_planted_kazakh_article_number_fails_the_lint(tmp_path: Path) -> None:
    copy = plant(
        tmp_path,
        "rights-religion",
        "kk",
        "2026 жылғы Конституция",
        "Конституцияның 14 және 19-баптары",
    )
    problems = [str(p) for p in lint_faq(copy)]
    assert any("article 14" in p for p in problems) and any("article 19" in p for p in problems)


def test_a_planted_ty_in_a_copy_fails_the_register_lint(tmp_path: Path) -> None:
    copy = plant(
        tmp_path,
        "help-discrimination-steps",
        "ru",
        "Вы не виноваты и вы не одни.",
        "Ты не виноват и ты не один.",
    )
    problems = [str(p) for p in lint_faq(copy)]
    assert len(problems) == 1
    assert "help-discrimination-steps: answer.ru" in problems[0] and "Ты" in problems[0]


def test_a_planted_sen_in_a_copy_fails_the_register_lint(tmp_path: Path) -> None:
    copy = plant(
        tmp_path,
        "help-discrimination-steps",
        "kk",
        "Сіз кінәлі емессіз және жалғыз емессіз.",
        "Сен кінәлі емессің және жалғыз емессің.",
    )
    problems = [str(p) for p in lint_faq(copy)]
    assert len(problems) == 1 and "informal register" in problems[0]


def test_a_phone_number_off_the_help_line_list_fails_the_lint(tmp_path: Path) -> None:
    copy = plant(
        tmp_path,
        "help-line-150",
        "ru",
        "звоните <b>112</b>",
        "звоните <b>112</b> или по номеру +7 (701) 123-45-67",
    )
    problems = [str(p) for p in lint_faq(copy)]
    assert len(problems) == 1 and "+77011234567 is not on the help-line list" in problems[0]


def test_a_legal_entry_without_a_source_and_a_thin_translation_fail_the_lint() -> None:
    items = load_paths([DATA / "rights.yml"]).items
    [equality] = [item for item in items if item.id == "rights-equality"]
    thin = replace(equality, source=None, answer={"kk": "Жоқ.", "ru": equality.answer["ru"]})
    problems = [str(p) for p in lint_items([thin], "rights.yml")]
    assert any("tagged legal but names no source" in p for p in problems)
    assert any("differ in substance" in p for p in problems)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Напиши куратору, он тебе поможет.", "ru", ["Напиши", "тебе"]),
        ("Если хочешь, позвони на 150.", "ru", ["хочешь", "позвони"]),
        ("Напишите куратору, он вам поможет; лишь бы не молчать.", "ru", []),
        ("Кураторға жаз, ол саған көмектеседі.", "kk", ["жаз", "саған"]),
        ("Құқығың бұзылса, хабарлас.", "kk", ["хабарлас", "Құқығың"]),
        ("Кураторға жазыңыз, ол сізге көмектеседі; қазақ тілінің мерекесі.", "kk", []),
    ],
)
def test_the_register_check_tells_ty_from_vy(text: str, language: str, expected: list[str]) -> None:
    assert sorted(informal_words(text, language)) == sorted(expected)
