"""The HTTP client the bot uses to ask the Rasa server what a message means.

Rasa is a separate service that can be restarting, overloaded or not deployed at all. The bot
must keep answering, so every failure (refused connection, timeout, 5xx, an answer that is not
a parse result) turns into the keyword rules of :mod:`nlu.rules`, marked ``degraded``. One
warning is logged when an outage starts and one info line when Rasa answers again, so a
down server does not flood the log with a line per message.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import replace
from types import TracebackType
from typing import Any

import httpx

from nlu.rules import FALLBACK_INTENT, NluResult, language_code, rule_based_parse

__all__ = ["FALLBACK_INTENT", "MAX_TEXT_LENGTH", "NluClient", "NluResult"]

logger = logging.getLogger(__name__)

# Telegram allows 4096 characters; a question never needs that many, and the transformer's
# cost grows with the number of tokens, so longer texts are cut at a word boundary.
MAX_TEXT_LENGTH = 1000


class _BadResponse(Exception):
    """Rasa answered, but not with a usable parse result."""


# Rasa reads a text starting with "/" as an intent given outright ("/delete_my_data" comes back
# as that intent at confidence 1.0), so leading slashes never reach it.
_LEADING_SLASHES = re.compile(r"^[\s/]+")


def _prepare(text: str) -> tuple[str, int]:
    """The text to send to Rasa, and how many leading characters were dropped from it."""
    kept = _LEADING_SLASHES.sub("", text)
    return _truncate(kept.rstrip()), len(text) - len(kept)


def _truncate(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    # Cut at the last space unless that would throw away most of the text (one huge word).
    return cut[:space] if space > limit // 2 else cut


def _confidence(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadResponse(f"confidence is not a number: {value!r}")
    number = float(value)
    if math.isnan(number):
        raise _BadResponse("confidence is NaN")
    return min(max(number, 0.0), 1.0)


def _shifted(entity: dict[str, Any], shift: int) -> dict[str, Any]:
    """An entity with offsets into the caller's text (Rasa saw it without leading slashes)."""
    entity = dict(entity)
    for key in ("start", "end"):
        if shift and isinstance(entity.get(key), int):
            entity[key] += shift
    return entity


def _entities(items: list[Any], shift: int) -> list[dict[str, Any]]:
    entities = []
    for item in items:
        if not isinstance(item, dict):
            continue
        entity = _shifted(item, shift)
        if entity.get("entity") == "language":
            # The contract is kk|ru; a spelling the synonym table missed is resolved here,
            # and a value that names no language is dropped rather than passed on.
            code = language_code(str(entity.get("value", "")))
            if code is None:
                continue
            entity["value"] = code
        entities.append(entity)
    return entities


def _result_from_rasa(text: str, payload: Any, shift: int = 0) -> NluResult:
    if not isinstance(payload, dict):
        raise _BadResponse("the answer is not a JSON object")
    intent = payload.get("intent")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        raise _BadResponse("the answer has no intent name")
    name = intent["name"]
    confidence = _confidence(intent.get("confidence"))

    ranking: list[tuple[str, float]] = []
    for item in payload.get("intent_ranking") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _BadResponse("malformed intent_ranking")
        # Rasa puts nlu_fallback first in the ranking; the guesses behind it are what a
        # "did you mean" needs, so the ranking keeps only real intents.
        if item["name"] != FALLBACK_INTENT:
            ranking.append((item["name"], _confidence(item.get("confidence"))))
    if not ranking and name != FALLBACK_INTENT:
        ranking = [(name, confidence)]

    entities = payload.get("entities") or []
    if not isinstance(entities, list):
        raise _BadResponse("entities is not a list")
    return NluResult(
        intent=name,
        confidence=confidence,
        entities=_entities(entities, shift),
        ranking=ranking,
        degraded=False,
        text=text,
    )


class NluClient:
    """Parses messages through Rasa's ``/model/parse``, falling back to keyword rules."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 3.0,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._params = {"token": token} if token else {}
        # ``transport`` lets tests stand in for the server without opening sockets.
        self._http = httpx.AsyncClient(
            base_url=self._base_url, timeout=timeout, transport=transport
        )
        self._outage = False

    @property
    def base_url(self) -> str:
        """The Rasa server this client talks to."""
        return self._base_url

    async def parse(self, text: str) -> NluResult:
        """What ``text`` means: Rasa's answer, or the rules' (``degraded``) if Rasa fails."""
        prepared, shift = _prepare(text)
        if not prepared:
            # Nothing to understand, and Rasa answers 500 to an empty body anyway.
            return replace(rule_based_parse(text), degraded=False)
        try:
            response = await self._http.post(
                "/model/parse", json={"text": prepared}, params=self._params
            )
            if response.status_code in (401, 403):
                raise _BadResponse(
                    f"HTTP {response.status_code}: check that RASA_TOKEN matches the server's "
                    "--auth-token"
                )
            response.raise_for_status()
            # The result carries the text as the caller gave it, not the truncated copy.
            result = _result_from_rasa(text, response.json(), shift)
        except (httpx.HTTPError, ValueError, _BadResponse) as error:
            self._note_outage(error)
            return rule_based_parse(text)
        self._note_recovery()
        return result

    async def is_available(self) -> bool:
        """Whether the Rasa server answers and has a model loaded."""
        try:
            response = await self._http.get("/status", params=self._params)
            if response.status_code != 200:
                return False
            status = response.json()
        except (httpx.HTTPError, ValueError):
            return False
        return isinstance(status, dict) and bool(status.get("model_file"))

    async def aclose(self) -> None:
        """Closes the underlying HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> NluClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _note_outage(self, error: Exception) -> None:
        if not self._outage:
            self._outage = True
            logger.warning(
                "Rasa at %s is unavailable (%s: %s); understanding messages with keyword rules "
                "until it is back",
                self._base_url,
                type(error).__name__,
                error or "no details",
            )

    def _note_recovery(self) -> None:
        if self._outage:
            self._outage = False
            logger.info("Rasa at %s answers again; keyword rules no longer used", self._base_url)
