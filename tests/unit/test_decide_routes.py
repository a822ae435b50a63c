"""Which wins when the NLU guesses a journey and the knowledge base knows the answer: a short
command goes to the journey, a longer question the knowledge base answers confidently gets its
answer, and asking for a person always reaches a person."""

from __future__ import annotations

import pytest

from bot.services.dialogue import Action, decide
from knowledge_base.thresholds import Match, SearchResult
from nlu.client import NluResult

THRESHOLD = 0.6
CONFIDENT = SearchResult([Match("accord-what-is", 0.9), Match("assembly-what", 0.4)], True)
UNSURE = SearchResult([Match("accord-what-is", 0.3)], False)


def nlu(intent: str, confidence: float = 0.86) -> NluResult:
    return NluResult(intent, confidence, ranking=[(intent, confidence)])


@pytest.mark.parametrize(
    "text, intent",
    [
        # «келісім» is also "consent": the model once took this for deleting one's data.
        ("этносаралық келісім ұғымын түсіндіріп беріңізші", "delete_my_data"),
        ("что такое межэтническое согласие простыми словами", "courses"),
        ("когда празднуют день единства народа Казахстана", "events"),
    ],
)
def test_a_question_the_knowledge_base_answers_is_answered(text: str, intent: str) -> None:
    decision = decide(text, nlu(intent), CONFIDENT, THRESHOLD)
    assert decision.action == Action.ANSWER
    assert decision.entry_id == "accord-what-is"


@pytest.mark.parametrize(
    "text, intent",
    [("курстар", "courses"), ("мои заявки", "my_requests"), ("іс-шаралар", "events")],
)
def test_a_short_command_opens_its_journey(text: str, intent: str) -> None:
    decision = decide(text, nlu(intent), CONFIDENT, THRESHOLD)
    assert decision.action == Action.INTENT and decision.intent == intent


def test_asking_for_a_person_always_reaches_one() -> None:
    text = "хочу поговорить с куратором о межэтническом согласии в группе"
    decision = decide(text, nlu("request_consultation"), CONFIDENT, THRESHOLD)
    assert decision.action == Action.INTENT and decision.intent == "request_consultation"


def test_without_a_confident_answer_the_journey_wins() -> None:
    text = "что такое межэтническое согласие простыми словами"
    decision = decide(text, nlu("courses"), UNSURE, THRESHOLD)
    assert decision.action == Action.INTENT and decision.intent == "courses"
