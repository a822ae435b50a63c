"""Test doubles that are not Telegram: an NLU stand-in for dispatcher tests."""

from __future__ import annotations

from nlu.client import NluResult
from nlu.rules import rule_based_parse


class RuleNlu:
    """Answers like the bot's own degraded mode, or with a scripted result per text.

    Dispatcher tests use it so that routing is tested without a Rasa server; tests that need
    the real model use the `rasa_server` fixture.
    """

    def __init__(self) -> None:
        self.scripted: dict[str, NluResult] = {}
        self.seen: list[str] = []

    def script(self, text: str, intent: str, confidence: float = 0.95, **extra: object) -> None:
        self.scripted[text] = NluResult(
            intent=intent,
            confidence=confidence,
            entities=list(extra.get("entities", [])),  # type: ignore[call-overload]
            ranking=list(extra.get("ranking", [(intent, confidence)])),  # type: ignore[call-overload]
        )

    async def parse(self, text: str) -> NluResult:
        self.seen.append(text)
        if text in self.scripted:
            return self.scripted[text]
        result = rule_based_parse(text)
        return NluResult(result.intent, result.confidence, result.entities, result.ranking)

    async def is_available(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
