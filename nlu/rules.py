"""Keyword rules that stand in for the Rasa model while it is unreachable (degraded mode).

Pure Python. Every rule looks at the words of the message after :mod:`nlu.normalize` folding,
so one stem covers standard Kazakh Cyrillic, Cyrillic without Kazakh letters and Latin script
(«ұрды», «урды» and «urdy» are all ``урды``). Stems below are therefore written folded:
ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, һ→х, і→и.

The rules are deliberately simple: when nothing specific matches, the text is an ``ask_faq``
question with a middling confidence and the knowledge-base search decides. A report of
discrimination, insults, threats or violence always wins, because missing one costs far more
than showing help numbers to someone who did not need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nlu import rule_words as words
from nlu.normalize import normalize_word

__all__ = ["FALLBACK_INTENT", "NluResult", "language_code", "rule_based_parse"]

FALLBACK_INTENT = "nlu_fallback"

# Confidence of a rule match and of the catch-all question; the bot compares these with the
# same thresholds it uses for the model, so a guessed question goes to the knowledge base.
_RULE_CONFIDENCE = 0.9
_FAQ_CONFIDENCE = 0.5

# The same notion of a word as nlu.normalize.tokenize, kept here with offsets for entities.
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class NluResult:
    """What the NLU understood of one message.

    ``ranking`` holds the model's real guesses, best first; when the confidence is below the
    fallback threshold ``intent`` is ``nlu_fallback`` and ``ranking[0]`` is the best guess.
    ``degraded`` is true when the keyword rules answered instead of the model.
    """

    intent: str
    confidence: float
    entities: list[dict[str, Any]] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    degraded: bool = False
    text: str = ""

    def entity(self, name: str) -> str | None:
        """The value of the first entity called ``name``, if any."""
        for item in self.entities:
            if item.get("entity") == name:
                value = item.get("value")
                return None if value is None else str(value)
        return None

    def to_json(self) -> dict[str, Any]:
        """The result in the shape of Rasa's ``/model/parse`` answer, plus ``degraded``."""
        return {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": self.confidence},
            "entities": [dict(item) for item in self.entities],
            "intent_ranking": [
                {"name": name, "confidence": confidence} for name, confidence in self.ranking
            ],
            "degraded": self.degraded,
        }


@dataclass(frozen=True)
class _Word:
    text: str  # folded
    start: int
    end: int


class _Message:
    """The folded words of a message, with the questions the rules ask about them."""

    def __init__(self, text: str) -> None:
        self.words = [
            _Word(normalize_word(m.group(0)), m.start(), m.end()) for m in _WORD_RE.finditer(text)
        ]
        self.count = len(self.words)
        self.is_question = "?" in text
        self._padded = " " + " ".join(word.text for word in self.words) + " "

    def has(self, stems: tuple[str, ...]) -> bool:
        """Whether some word starts with one of ``stems``."""
        return any(word.text.startswith(stems) for word in self.words)

    def has_word(self, vocabulary: frozenset[str]) -> bool:
        """Whether some word is exactly one of ``vocabulary``."""
        return any(word.text in vocabulary for word in self.words)

    def has_phrase(self, phrases: tuple[str, ...]) -> bool:
        """Whether one of ``phrases`` (folded words separated by spaces) occurs."""
        return any(f" {phrase} " in self._padded for phrase in phrases)

    def starts_with(self, vocabulary: frozenset[str]) -> bool:
        """Whether the first word is one of ``vocabulary``."""
        return bool(self.words) and self.words[0].text in vocabulary

    def covered(
        self, vocabulary: frozenset[str], stems: tuple[str, ...], phrases: tuple[str, ...]
    ) -> int:
        """How many words belong to ``vocabulary``, start with ``stems`` or form ``phrases``."""
        count = sum(
            1
            for word in self.words
            if word.text in vocabulary or (stems and word.text.startswith(stems))
        )
        count += sum(len(p.split()) for p in phrases if f" {p} " in self._padded)
        return count


# Small talk counts as such only in a short message mostly made of it: "привет, подскажи где
# деканат?" is a question for the knowledge base, "спасибо, помогли" is thanks.
_SMALL_TALK_MAX_WORDS = 4
_SMALL_TALK_EXTRA = 2
_THANKS_MAX_WORDS = 7
_HELP_MAX_WORDS = 6
_BOT_MAX_WORDS = 8


def _word_language(word: str) -> str | None:
    if word.startswith(words.COUNTRY):
        return None
    if word.startswith(words.KAZAKH_LANGUAGE):
        return "kk"
    if word.startswith(words.RUSSIAN_LANGUAGE):
        return "ru"
    return None


def language_code(value: str) -> str | None:
    """``kk`` or ``ru`` for a language as students name it («орысшаға», "kazakh"), else None."""
    if value in ("kk", "ru"):
        return value
    for word in _Message(value).words:
        code = _word_language(word.text)
        if code is not None:
            return code
    return None


def _language_entity(message: _Message) -> dict[str, Any] | None:
    for word in message.words:
        value = _word_language(word.text)
        if value is not None:
            return {
                "entity": "language",
                "value": value,
                "start": word.start,
                "end": word.end,
                "extractor": "rules",
            }
    return None


def _wants_deletion(m: _Message) -> bool:
    return (
        (m.has(words.DELETE_STRONG) and (m.has(words.DATA) or m.has_word(words.ME)))
        or (m.has(words.DELETE_WEAK) and m.has(words.DATA))
        or (m.has(words.FORGET) and m.has_word(words.ME))
        or (m.has(words.WITHDRAW) and m.has(words.CONSENT))
    )


def _asks_for_own_requests(m: _Message) -> bool:
    return (m.has_word(words.MY) and m.has(words.REQUESTS)) or m.has(words.OWN_REQUESTS)


def _is_feedback(m: _Message) -> bool:
    return (
        m.has(words.FEEDBACK)
        or m.has_phrase(words.FEEDBACK_PHRASES)
        or (m.has(words.RATE) and m.has(words.PUT))
    )


def _is_event(m: _Message) -> bool:
    return (
        m.has(words.EVENTS)
        or (m.has(words.CLUB) and m.has(words.MEETING))
        or (m.has(words.CULTURE) and m.has(words.DAY) and not m.has(words.CLUB))
    )


def _is_bot_challenge(m: _Message) -> bool:
    if m.has_phrase(words.BOT_PHRASES):
        return True
    if m.count > _BOT_MAX_WORDS:
        return False
    asks = m.is_question or m.has_word(words.QUESTION_PARTICLES)
    return (m.has(words.BOTS) or m.has(words.PEOPLE)) and (asks or m.has_word(words.YOU))


def _is_affirm(m: _Message) -> bool:
    if m.has_word(words.NEGATION) or m.has(words.DENY_STEMS):
        return False
    return (m.count <= 3 and all(w.text in words.AFFIRM for w in m.words)) or (
        m.count <= 4 and m.starts_with(words.AFFIRM) and not m.is_question
    )


def _is_deny(m: _Message) -> bool:
    if m.count > 5:
        return False
    return (
        (
            m.count <= 3
            and m.has_word(words.NEGATION)
            and all(w.text in words.DENY_WORDS for w in m.words)
        )
        or m.starts_with(words.NEGATION)
        or m.has(words.DENY_STEMS)
        or m.has_phrase(words.DENY_PHRASES)
    )


def _is_small_talk(
    m: _Message, vocabulary: frozenset[str], stems: tuple[str, ...], phrases: tuple[str, ...]
) -> bool:
    if m.count > _SMALL_TALK_MAX_WORDS:
        return False
    covered = m.covered(vocabulary, stems, phrases)
    return bool(covered) and m.count - covered <= _SMALL_TALK_EXTRA


def _classify(m: _Message) -> tuple[str, list[dict[str, Any]]]:
    # Order matters: the first matching rule wins, the most important first.
    if m.has(words.INCIDENT):
        return "report_incident", []
    if _wants_deletion(m):
        return "delete_my_data", []
    if _asks_for_own_requests(m):
        return "my_requests", []
    if _is_feedback(m):
        return "feedback", []
    if m.has(words.CONSULTATION):
        return "request_consultation", []
    if m.has(words.COURSES):
        return "courses", []
    language = _language_entity(m)
    short_request = m.count <= 4 and not m.is_question
    if (language is not None and (short_request or m.has(words.SWITCH))) or (
        m.has(words.LANGUAGE_NOUN) and m.has(words.SWITCH)
    ):
        return "change_language", [language] if language is not None else []
    if _is_event(m):
        return "events", []
    if _is_deny(m):
        return "deny", []
    if _is_affirm(m):
        return "affirm", []
    if m.has(words.THANKS) and m.count <= _THANKS_MAX_WORDS and not m.is_question:
        return "thanks", []
    if m.count <= _HELP_MAX_WORDS and (m.has(words.HELP) or m.has_phrase(words.HELP_PHRASES)):
        return "help", []
    if _is_bot_challenge(m):
        return "bot_challenge", []
    if _is_small_talk(m, words.GOODBYE_WORDS, words.GOODBYE_STEMS, words.GOODBYE_PHRASES):
        return "goodbye", []
    if _is_small_talk(m, words.GREET_WORDS, words.GREET_STEMS, words.GREET_PHRASES):
        return "greet", []
    return "ask_faq", []


def rule_based_parse(text: str) -> NluResult:
    """Understand ``text`` with keyword rules alone (used while Rasa is unreachable)."""
    message = _Message(text)
    if not any(ch.isalpha() for word in message.words for ch in word.text):
        return NluResult(
            intent="out_of_scope",
            confidence=_RULE_CONFIDENCE,
            ranking=[("out_of_scope", _RULE_CONFIDENCE)],
            degraded=True,
            text=text,
        )
    intent, entities = _classify(message)
    confidence = _FAQ_CONFIDENCE if intent == "ask_faq" else _RULE_CONFIDENCE
    ranking = [(intent, confidence)]
    if intent != "ask_faq":
        # A question may still hide behind a keyword: leave the knowledge base a way in.
        ranking.append(("ask_faq", round(1.0 - confidence, 4)))
    return NluResult(
        intent=intent,
        confidence=confidence,
        entities=entities,
        ranking=ranking,
        degraded=True,
        text=text,
    )
