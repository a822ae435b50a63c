"""Deciding what to do with a student's free text, from the NLU result and the knowledge base.

Rasa routes; the knowledge base's own search picks the entry. The rules here guard against
an overconfident model: a long question that the knowledge base answers confidently is not
small talk, and anything that may be an incident report is treated as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from knowledge_base.lexicon import Lexicon, default_lexicon
from knowledge_base.safety_net import check_incident
from knowledge_base.search import SearchResult
from nlu.client import NluResult
from nlu.normalize import tokenize

SMALL_TALK = frozenset({"greet", "goodbye", "thanks", "help", "bot_challenge", "affirm", "deny"})
ROUTED_INTENTS = frozenset(
    {
        "request_consultation",
        "events",
        "courses",
        "change_language",
        "my_requests",
        "delete_my_data",
        "feedback",
    }
)
# Small talk is short; a longer message that the knowledge base answers is a question.
_SMALL_TALK_MAX_WORDS = 5
# Commands to a journey ("курстар", "тілді ауыстыр", "мои заявки") are short too; a longer
# question the knowledge base answers confidently gets its answer, whatever journey the model
# guessed — except asking for a person, which is never answered by a text.
_COMMAND_MAX_WORDS = 3
_ALWAYS_ROUTED = frozenset({"request_consultation"})
# An incident is worth asking about even when it is only the model's second guess.
_INCIDENT_SECOND_GUESS = 0.25


class Action(StrEnum):
    SMALL_TALK = "small_talk"
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNMATCHED = "unmatched"
    OUT_OF_SCOPE = "out_of_scope"
    INCIDENT = "incident"
    INTENT = "intent"  # one of ROUTED_INTENTS


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    intent: str
    confidence: float
    entry_id: str | None = None
    suggestions: list[str] = field(default_factory=list)
    score: float | None = None
    language: str | None = None  # for change_language


def _ranking_confidence(nlu: NluResult, intent: str) -> float:
    if nlu.intent == intent:
        return nlu.confidence
    return max((conf for name, conf in nlu.ranking if name == intent), default=0.0)


def decide(
    text: str,
    nlu: NluResult,
    search: SearchResult,
    threshold: float,
    lexicon: Lexicon | None = None,
) -> Decision:
    """Choose the action for `text` given what the NLU and the knowledge base found.

    The incident safety net (from ``lexicon``'s incident concepts; the shipped lexicon by
    default) is checked first: a report never depends on the intent the NLU picked.
    """
    words = tokenize(text)
    best = search.best
    kb_confident = search.confident and best is not None

    def kb_decision() -> Decision:
        if kb_confident and best is not None:
            return Decision(Action.ANSWER, nlu.intent, nlu.confidence, best.id, score=best.score)
        if search.matches:
            return Decision(
                Action.SUGGEST,
                nlu.intent,
                nlu.confidence,
                suggestions=[m.id for m in search.matches[:3]],
                score=search.matches[0].score,
            )
        return Decision(Action.UNMATCHED, nlu.intent, nlu.confidence)

    if not words:
        return Decision(Action.OUT_OF_SCOPE, "out_of_scope", 1.0)

    incident = _ranking_confidence(nlu, "report_incident")
    if check_incident(text, default_lexicon() if lexicon is None else lexicon).incident:
        return Decision(Action.INCIDENT, "report_incident", max(incident, nlu.confidence))
    if (nlu.intent == "report_incident" and nlu.confidence >= threshold / 2) or (
        nlu.intent in ("nlu_fallback", "ask_faq") and incident >= _INCIDENT_SECOND_GUESS
    ):
        return Decision(Action.INCIDENT, "report_incident", incident)

    if nlu.intent in SMALL_TALK and nlu.confidence >= threshold:
        if len(words) <= _SMALL_TALK_MAX_WORDS or not kb_confident:
            return Decision(Action.SMALL_TALK, nlu.intent, nlu.confidence)
        return kb_decision()

    if nlu.intent in ROUTED_INTENTS and nlu.confidence >= threshold:
        if kb_confident and len(words) > _COMMAND_MAX_WORDS and nlu.intent not in _ALWAYS_ROUTED:
            return kb_decision()
        language = None
        if nlu.intent == "change_language":
            language = next(
                (
                    str(e.get("value"))
                    for e in nlu.entities
                    if e.get("entity") == "language" and e.get("value") in ("kk", "ru")
                ),
                None,
            )
        return Decision(Action.INTENT, nlu.intent, nlu.confidence, language=language)

    if nlu.intent == "out_of_scope" and nlu.confidence >= threshold and not kb_confident:
        return Decision(Action.OUT_OF_SCOPE, nlu.intent, nlu.confidence)

    return kb_decision()
