"""Validation, loading and export of the knowledge-base YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.loader import dump_items, load_paths, parse_document, write_items
from knowledge_base.schema import LANGUAGES, MAX_ANSWER_LENGTH, FaqItem, KbProblem, item_from_dict

DATA_DIR = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"

GOOD_ENTRY = """\
- id: unity-club-join
  category: university
  question: {kk: "«Мәдениеттер бірлігі» клубына қалай кіремін?", ru: "Как вступить в клуб?"}
  alternatives: {kk: ["клубқа жазылу"], ru: ["запись в клуб"]}
  answer: {kk: "Кураторға жазыңыз.", ru: "Напишите куратору."}
  links: ["https://example.kz/club"]
"""


def entry(**fields: object) -> dict[str, object]:
    """A valid entry as parsed from YAML, with some fields replaced or removed (None)."""
    data: dict[str, object] = {
        "id": "dorm-place",
        "category": "housing",
        "question": {"kk": "Жатақханадан орын қалай аламын?", "ru": "Как получить общежитие?"},
        "answer": {"kk": "Деканатқа өтініш беріңіз.", "ru": "Подайте заявление в деканат."},
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def messages(problems: list[KbProblem]) -> str:
    return "\n".join(str(problem) for problem in problems)


def test_a_valid_entry_becomes_an_item() -> None:
    item, problems = item_from_dict(
        entry(alternatives={"ru": ["где жить студенту"]}, links=["https://example.kz"]),
        "faq.yml",
        0,
    )
    assert problems == []
    assert item is not None
    assert item.id == "dorm-place"
    assert item.question["ru"] == "Как получить общежитие?"
    assert item.alternatives == {"ru": ("где жить студенту",)}
    assert item.links == ("https://example.kz",)
    assert item.published is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"id": None}, "id is required"),
        ({"id": "Dorm_Place"}, "id 'Dorm_Place' must be a slug"),
        ({"id": "dorm--place"}, "must be a slug"),
        ({"category": None}, "category is required"),
        ({"category": "Housing Questions"}, "category 'Housing Questions' must be a slug"),
        ({"question": None}, "question is required"),
        ({"question": "Как получить общежитие?"}, "question must be a mapping"),
        ({"question": {"ru": "Как получить общежитие?"}}, "question.kk is missing"),
        ({"question": {"kk": "   ", "ru": "Вопрос?"}}, "question.kk is empty"),
        ({"answer": {"kk": "Жауап.", "ru": False}}, "answer.ru must be text, not bool"),
        ({"answer": {"kk": "Жауап.", "ru": "Ответ.", "en": "Answer."}}, "unknown language(s) en"),
        (
            {"answer": {"kk": "Жауап.", "ru": "О" * (MAX_ANSWER_LENGTH + 1)}},
            f"answer.ru is {MAX_ANSWER_LENGTH + 1} characters long",
        ),
        ({"alternatives": ["где жить"]}, "alternatives must be a mapping"),
        ({"alternatives": {"ru": "где жить"}}, "alternatives.ru must be a list"),
        ({"alternatives": {"ru": ["где жить", ""]}}, "alternatives.ru item 2 must be non-empty"),
        ({"alternatives": {"en": ["where to live"]}}, "alternatives has unknown language(s) en"),
        ({"links": "https://example.kz"}, "links must be a list"),
        ({"links": ["ftp://example.kz"]}, "links item 1 ('ftp://example.kz') is not an http(s)"),
        ({"links": ["https://"]}, "is not an http(s) URL"),
        ({"published": "no"}, "published must be true or false"),
        ({"tag": ["legal"]}, "unknown field(s) tag"),
        ({"tags": "legal"}, "tags must be a list"),
        ({"tags": ["Legal Stuff"]}, "tags item 1 ('Legal Stuff') must be a slug"),
        ({"source": ""}, "source must be non-empty text"),
        ({"reviewed": "01.12.2026"}, "reviewed must be a date such as 2026-12-01"),
        ({"review_every": 0}, "review_every must be between 1 and 60 months"),
        ({"review_every": "six"}, "review_every must be a whole number of months"),
    ],
)
def test_each_kind_of_problem_is_reported_with_file_and_entry(
    fields: dict[str, object], expected: str
) -> None:
    item, problems = item_from_dict(entry(**fields), "faq/housing.yml", 4)
    assert item is None
    text = messages(problems)
    assert expected in text
    # Every line names the file and the entry (its id, or its position when the id is unusable).
    entry_label = "entry 5" if "id" in fields and fields["id"] is None else None
    for problem in problems:
        assert str(problem).startswith("faq/housing.yml: ")
        assert problem.entry_id in {"dorm-place", "Dorm_Place", "dorm--place", entry_label}


def test_all_problems_of_an_entry_are_reported_at_once() -> None:
    bad = entry(
        category="Bad Category",
        answer={"kk": "", "ru": "Ответ."},
        links=["mailto:x@example.kz"],
        colour="red",
    )
    _, problems = item_from_dict(bad, "faq.yml", 0)
    text = messages(problems)
    assert "category" in text
    assert "answer.kk is empty" in text
    assert "links item 1" in text
    assert "unknown field(s) colour" in text
    assert len(problems) == 4


def test_entry_that_is_not_a_mapping_is_reported_by_position() -> None:
    item, problems = item_from_dict(["id", "x"], "faq.yml", 2)
    assert item is None
    assert messages(problems) == "faq.yml: entry 3: must be a mapping of fields, not a list"


def test_a_file_with_one_bad_entry_loads_nothing() -> None:
    text = GOOD_ENTRY + "- id: broken\n  category: university\n  question: {kk: a}\n"
    result = parse_document(text, "club.yml")
    assert result.items == []
    assert not result.ok
    text = messages(result.problems)
    assert "club.yml: broken: question.ru is missing" in text
    assert "club.yml: broken: answer is required" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- id: [unclosed\n", "is not valid YAML"),
        ("id: lonely-entry\ncategory: x\n", "must be a list of entries"),
        ("", "is empty"),
        (b"- id: \xff\xfe\n", "is not UTF-8 text"),
        (
            "- &a {id: x}\n- *a\n",
            "uses YAML anchors or aliases",
        ),
        (
            # Each level doubles the one before: expanded, this would be 2**40 items.
            "".join(f"- &l{n} [*l{n - 1}, *l{n - 1}]\n" for n in range(1, 41)).replace(
                "*l0, *l0", "lol, lol"
            ),
            "uses YAML anchors or aliases",
        ),
    ],
)
def test_documents_that_are_not_lists_of_entries(text: str | bytes, expected: str) -> None:
    result = parse_document(text, "upload.yml")
    assert result.items == []
    assert expected in messages(result.problems)
    assert all(problem.source == "upload.yml" for problem in result.problems)


def test_duplicate_ids_in_one_document() -> None:
    result = parse_document(GOOD_ENTRY + GOOD_ENTRY, "club.yml")
    assert result.items == []
    assert "club.yml: unity-club-join: id is used twice in this file (entries 1 and 2)" in (
        messages(result.problems)
    )


def test_a_repeated_field_is_not_silently_overwritten() -> None:
    text = GOOD_ENTRY + '  answer: {kk: "Басқа.", ru: "Другой."}\n'
    result = parse_document(text, "club.yml")
    assert result.items == []
    assert "club.yml: unity-club-join: field 'answer' appears twice (line 7)" in (
        messages(result.problems)
    )


def test_load_paths_reads_directories_and_reports_ids_used_in_two_files(tmp_path: Path) -> None:
    (tmp_path / "a-club.yml").write_text(GOOD_ENTRY, encoding="utf-8")
    (tmp_path / "b-copy.yaml").write_text(GOOD_ENTRY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a knowledge base file", encoding="utf-8")
    other = tmp_path / "other.yml"
    other.write_text(GOOD_ENTRY.replace("unity-club-join", "unity-club-leave"), encoding="utf-8")

    result = load_paths([tmp_path])

    assert [item.id for item in result.items] == ["unity-club-join", "unity-club-leave"]
    assert [str(problem) for problem in result.problems] == [
        f"{tmp_path / 'b-copy.yaml'}: unity-club-join: id is already used in "
        f"{tmp_path / 'a-club.yml'}"
    ]


def test_load_paths_keeps_clean_files_and_reports_broken_and_missing_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text(GOOD_ENTRY, encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text(GOOD_ENTRY.replace("unity-club-join", "club-two") + "- 42\n", "utf-8")
    missing = tmp_path / "missing.yml"

    result = load_paths([good, broken, missing, good])

    assert [item.id for item in result.items] == ["unity-club-join"]
    assert messages(result.problems) == (
        f"{broken}: entry 2: must be a mapping of fields, not int\n"
        f"{missing}: no such file or directory"
    )


def sample_items() -> list[FaqItem]:
    return [
        FaqItem(
            id="zz-last",
            category="culture",
            question={"kk": "Наурыз қашан?", "ru": "Когда Наурыз?"},
            answer={"kk": "21–23 наурыз.\nДемалыс күндері.", "ru": "21–23 марта: выходные."},
        ),
        FaqItem(
            id="dorm-place",
            category="housing",
            question={"kk": "Жатақхана: қалай?", "ru": "Общежитие — как?"},
            answer={"kk": "Деканатқа барыңыз.", "ru": "Идите в деканат: #1 'ответ'."},
            alternatives={"kk": ("жатақханаға орын",), "ru": ("общага", "где жить - yes")},
            links=("https://example.kz/dorm?a=1&b=2",),
            published=False,
        ),
        FaqItem(
            id="aa-first",
            category="culture",
            question={"kk": "yes", "ru": "null"},
            answer={"kk": "123", "ru": "true"},
        ),
    ]


def test_dump_round_trips_and_is_sorted_by_category_then_id() -> None:
    items = sample_items()
    text = dump_items(items)

    result = parse_document(text, "export.yml")

    assert result.ok, messages(result.problems)
    assert [item.id for item in result.items] == ["aa-first", "zz-last", "dorm-place"]
    assert sorted(result.items, key=lambda item: item.id) == sorted(items, key=lambda i: i.id)
    # Kazakh stays readable in the file rather than escaped.
    assert "Жатақхана: қалай?" in text
    assert "\\u" not in text


def test_dump_leaves_out_empty_optional_fields() -> None:
    plain = sample_items()[0].to_dict()
    assert list(plain) == ["id", "category", "question", "answer"]
    hidden = sample_items()[1].to_dict()
    assert list(hidden) == [
        "id",
        "category",
        "question",
        "alternatives",
        "answer",
        "links",
        "published",
    ]
    assert hidden["published"] is False


def test_write_items_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "export" / "faq.yml"
    write_items(sample_items(), target)
    result = load_paths([target])
    assert result.ok
    assert len(result.items) == 3
    assert list(target.parent.iterdir()) == [target]


def test_the_real_knowledge_base_loads_without_problems() -> None:
    result = load_paths([DATA_DIR])
    assert result.problems == [], messages(result.problems)
    assert len(result.items) >= 60
    for item in result.items:
        assert set(item.question) == set(LANGUAGES)
        assert set(item.answer) == set(LANGUAGES)
