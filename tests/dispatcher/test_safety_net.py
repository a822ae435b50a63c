"""The incident safety net: reports reach the incident path whatever intent the NLU picked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.services.dialogue import Action, decide
from knowledge_base.evaluation import read_queries
from knowledge_base.lexicon import default_lexicon
from knowledge_base.loader import load_paths
from knowledge_base.safety_net import REPORT_LIKE_ENTRIES, check_incident
from knowledge_base.search import FaqIndex
from nlu.client import NluResult
from tests.process.test_cli import kelisim

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "knowledge_base" / "eval"


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex(load_paths([ROOT / "knowledge_base" / "data"]).items)


@pytest.mark.parametrize(
    ("text", "nlu_intent"),
    [
        # The two reports of the issue that went elsewhere.
        ("В общежитии подрались студенты разных национальностей", "ask_faq"),
        ("бизди тобымызда орыс тилди студенттерди кемситеди", "change_language"),
        ("мені ұлтым үшін ұрып кетті", "greet"),
        ("meni ultym ushin urdy", "nlu_fallback"),
        ("меня гнобят за акцент и национальность", "ask_faq"),
        ("мне угражают старшекурсники", "out_of_scope"),
    ],
)
def test_a_report_is_an_incident_whatever_the_nlu_said(
    text: str, nlu_intent: str, index: FaqIndex
) -> None:
    nlu = NluResult(nlu_intent, 0.97, ranking=[(nlu_intent, 0.97)])
    decision = decide(text, nlu, index.search(text, "ru"), threshold=0.6)
    assert decision.action is Action.INCIDENT


@pytest.mark.parametrize(
    "text",
    [
        "что такое дискриминация",
        "кемсітушілік дегеніміз не",
        "какая статья за разжигание розни",
        "как помириться с подругой",
        "менің өтінішім қайда",
        "Наурыз мейрамы қашан",
    ],
)
def test_a_question_about_the_topic_gets_its_answer_not_the_alarm(
    text: str, index: FaqIndex
) -> None:
    nlu = NluResult("ask_faq", 0.95, ranking=[("ask_faq", 0.95)])
    decision = decide(text, nlu, index.search(text, "ru"), threshold=0.6)
    assert decision.action is not Action.INCIDENT


def test_incident_recall_and_false_alarms_on_the_labelled_sets() -> None:
    lexicon = default_lexicon()
    reports: list[str] = []
    others: list[str] = []
    for line in (EVAL_DIR / "incidents.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, _, _, text = line.split("\t")
            (reports if label == "incident" else others).append(text)
    for half in ("tune", "test"):
        queries = read_queries(EVAL_DIR / f"queries-{half}.tsv")
        others += [q.text for q in queries if q.expected not in REPORT_LIKE_ENTRIES]
    assert len(reports) >= 60 and len(others) >= 300

    missed = [text for text in reports if not check_incident(text, lexicon).incident]
    alarms = [text for text in others if check_incident(text, lexicon).incident]
    assert len(missed) <= 0.02 * len(reports), missed
    assert len(alarms) <= 0.02 * len(others), alarms


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "x" * 4000, "бей " * 1000])
def test_bad_input_never_breaks_the_net(text: str) -> None:
    check_incident(text, default_lexicon())  # no exception; the answer itself may vary


def test_kelisim_ask_routes_through_the_bots_own_decision(tmp_path: Path) -> None:
    texts = (
        "В общежитии подрались студенты разных национальностей\nНаурыз мейрамы қашан тойланады?\n\n"
    )
    result = kelisim("ask", "-", db=tmp_path / "ask.sqlite3", stdin=texts)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert {"route", "intent", "confidence", "faq_id", "alternatives"} <= set(row)
    assert rows[0]["route"] == "incident"
    assert rows[1]["route"] == "faq" and rows[1]["faq_id"] == "holiday-nauryz"
    assert rows[2]["route"] == "out_of_scope"
