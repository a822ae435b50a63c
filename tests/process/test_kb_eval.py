"""Measuring the FAQ search on labelled queries: `kelisim kb eval` and `kelisim kb calibrate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base.evaluation import (
    QueryFileError,
    evaluate,
    outcome_of,
    parse_queries,
    read_queries,
)
from knowledge_base.loader import load_paths
from knowledge_base.search import FaqIndex, Thresholds
from tests.process.test_cli import SMALL_KB, kelisim

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "knowledge_base" / "eval"

SMALL_QUERIES = (
    "# expected\tlang\tvariant\tquery\n"
    "nauryz-dates\tkk\tkk_latin\tnauryz qai kuni toilanady\n"
    "nauryz-dates\tru\tru\tкакого числа наурыз\n"
    "state-language\tkk\tkk_ru\tмемлекеттик тил кайсы\n"
    "NONE\tru\toff_topic\tкакая погода завтра\n"
)


def test_the_labelled_set_is_large_varied_and_points_at_real_entries() -> None:
    tune = read_queries(EVAL_DIR / "queries-tune.tsv")
    test = read_queries(EVAL_DIR / "queries-test.tsv")
    queries = tune + test
    assert len(queries) >= 300
    assert sum(not q.answerable for q in queries) >= 30
    assert {q.variant for q in queries} >= {"kk", "kk_ru", "kk_latin", "ru", "ru_typo", "mixed"}
    ids = {item.id for item in load_paths([ROOT / "knowledge_base" / "data"]).items}
    assert {q.expected for q in queries if q.answerable} <= ids
    # Written from what students type, not copied from the entries.
    entry_texts = {
        text.lower()
        for item in load_paths([ROOT / "knowledge_base" / "data"]).items
        for texts in (item.question.values(), *item.alternatives.values())
        for text in texts
    }
    assert not [q.text for q in queries if q.text.lower() in entry_texts]
    assert not {q.text for q in tune} & {q.text for q in test}


def test_a_malformed_query_file_names_every_bad_line() -> None:
    with pytest.raises(QueryFileError) as caught:
        parse_queries("ok-id\tru\tru\tвопрос\nonly two\tfields\nx\tde\tde\tfrage\n", "q.tsv")
    assert "q.tsv:2" in str(caught.value) and "q.tsv:3" in str(caught.value)


def test_outcomes_are_counted_as_the_student_sees_them() -> None:
    index = FaqIndex(load_paths([SMALL_KB]).items)
    report = evaluate(
        parse_queries(SMALL_QUERIES), lambda q: outcome_of(index.search(q.text, q.lang))
    )
    total = report.total.as_dict()
    assert total["answerable"] == 3
    assert total["off_topic"] == 1
    assert total["answered_correct"] + total["in_buttons"] == 3
    assert total["answered_wrong"] == 0
    assert total["off_topic_abstained"] == 1
    assert set(report.by_variant) == {"kk_latin", "ru", "kk_ru", "off_topic"}


def test_kb_eval_with_a_file_uses_a_throwaway_store(tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text(SMALL_QUERIES, encoding="utf-8")
    db = tmp_path / "real.sqlite3"
    result = kelisim("kb", "eval", str(queries), "--kb", str(SMALL_KB), "--json", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["total"]["answerable"] == 3
    assert report["total"]["answered_wrong"] == 0
    assert set(report["by_lang"]) == {"kk", "ru"}
    assert not db.exists()  # the real store was never touched

    plain = kelisim("kb", "eval", str(queries), "--kb", str(SMALL_KB), db=db)
    assert plain.returncode == 0 and "kk_latin" in plain.stdout


def test_kb_eval_refuses_a_broken_query_file(tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("just one field\n", encoding="utf-8")
    result = kelisim("kb", "eval", str(queries), "--kb", str(SMALL_KB), db=tmp_path / "x.db")
    assert result.returncode == 2
    assert "q.tsv:1" in result.stderr


def test_calibrate_writes_thresholds_that_search_then_uses(tmp_path: Path) -> None:
    out = tmp_path / "thresholds.json"
    result = kelisim("kb", "calibrate", "--out", str(out), db=tmp_path / "x.db")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    thresholds = Thresholds.load(out)
    assert thresholds.as_dict() == {k: data[k] for k in thresholds.as_dict()}
    assert 0 < thresholds.min_score <= thresholds.confident_score < 1
    # Reproducible: the same data gives the same thresholds.
    again = tmp_path / "again.json"
    kelisim("kb", "calibrate", "--out", str(again), db=tmp_path / "x.db")
    assert json.loads(again.read_text(encoding="utf-8")) == data
    # The shipped file was written by the command, not by hand.
    shipped = json.loads((ROOT / "knowledge_base" / "thresholds.json").read_text("utf-8"))
    assert shipped["command"] == "kelisim kb calibrate"
    assert shipped["fitted_on"] == "queries-tune.tsv"


def test_kb_search_json_lists_the_other_choices(tmp_path: Path) -> None:
    result = kelisim("kb", "search", "-", "--json", db=tmp_path / "s.db", stdin="праздник\n")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert set(row) == {"id", "score", "confident", "alternatives"}
    assert isinstance(row["alternatives"], list)
    if not row["confident"] and row["id"]:
        assert row["id"] not in row["alternatives"]


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "👍", "?!...", "x" * 4000])
def test_empty_emoji_and_garbage_queries_find_nothing(text: str) -> None:
    index = FaqIndex(load_paths([ROOT / "knowledge_base" / "data"]).items)
    result = index.search(text, "ru")
    assert result.matches == [] and not result.confident


def test_a_4000_character_question_is_read_by_its_beginning() -> None:
    index = FaqIndex(load_paths([ROOT / "knowledge_base" / "data"]).items)
    text = "Когда празднуют Наурыз? " + "бла " * 1000
    assert len(text) >= 4000
    result = index.search(text, "ru")
    assert result.best is not None and result.best.id == "holiday-nauryz"
