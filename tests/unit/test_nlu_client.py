"""The NLU client: Rasa's answers as the bot sees them, and the fallback when Rasa fails."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nlu.client import MAX_TEXT_LENGTH, NluClient

RASA = "http://rasa.test"


def rasa_answer(
    text: str,
    intent: str,
    confidence: float,
    ranking: list[tuple[str, float]] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ranking = ranking if ranking is not None else [(intent, confidence)]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "text_tokens": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }


class FakeRasa:
    """Records requests and answers them with whatever the test sets."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.respond: Callable[[httpx.Request], httpx.Response] = self.echo_greet

    @staticmethod
    def echo_greet(request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["text"]
        return httpx.Response(200, json=rasa_answer(text, "greet", 0.97))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def sent_texts(self) -> list[str]:
        return [json.loads(r.content)["text"] for r in self.requests if r.method == "POST"]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def client(rasa: FakeRasa) -> Any:
    async with NluClient(
        RASA, token="s3cret", transport=httpx.MockTransport(rasa.handler)
    ) as nlu_client:
        yield nlu_client


async def test_parse_returns_rasas_understanding(client: NluClient, rasa: FakeRasa) -> None:
    rasa.respond = lambda request: httpx.Response(
        200,
        json=rasa_answer(
            "переключи на казахский",
            "change_language",
            0.96,
            ranking=[("change_language", 0.96), ("courses", 0.03)],
            entities=[{"entity": "language", "value": "kk", "start": 13, "end": 22}],
        ),
    )
    result = await client.parse("переключи на казахский")
    assert result.intent == "change_language"
    assert result.confidence == pytest.approx(0.96)
    assert result.entity("language") == "kk"
    assert result.ranking == [("change_language", 0.96), ("courses", 0.03)]
    assert not result.degraded
    (request,) = rasa.requests
    assert request.url.path == "/model/parse"
    assert request.url.params["token"] == "s3cret"
    assert json.loads(request.content) == {"text": "переключи на казахский"}


async def test_below_the_threshold_the_ranking_holds_the_real_guesses(
    client: NluClient, rasa: FakeRasa
) -> None:
    rasa.respond = lambda request: httpx.Response(
        200,
        json=rasa_answer(
            "жатакхана",
            "nlu_fallback",
            0.5,
            ranking=[("nlu_fallback", 0.5), ("ask_faq", 0.41), ("events", 0.3)],
        ),
    )
    result = await client.parse("жатакхана")
    assert result.intent == "nlu_fallback"
    assert result.ranking == [("ask_faq", 0.41), ("events", 0.3)]


async def test_a_language_spelling_the_model_did_not_map_still_becomes_a_code(
    client: NluClient, rasa: FakeRasa
) -> None:
    rasa.respond = lambda request: httpx.Response(
        200,
        json=rasa_answer(
            "orys tiline auystyr",
            "change_language",
            0.9,
            entities=[
                {"entity": "language", "value": "orys tiline", "start": 0, "end": 11},
                {"entity": "language", "value": "немецкий", "start": 12, "end": 20},
            ],
        ),
    )
    result = await client.parse("orys tiline auystyr")
    assert [e["value"] for e in result.entities] == ["ru"]


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: httpx.Response(500, text="Internal Server Error"),
        lambda request: httpx.Response(200, text="<html>proxy error</html>"),
        lambda request: httpx.Response(200, json={"text": "x", "entities": []}),
        lambda request: httpx.Response(401, json={"message": "User is not authenticated."}),
    ],
    ids=["server error", "not json", "no intent", "wrong token"],
)
async def test_a_broken_answer_falls_back_to_the_rules(
    client: NluClient, rasa: FakeRasa, failure: Callable[[httpx.Request], httpx.Response]
) -> None:
    rasa.respond = failure
    result = await client.parse("меня избили в общежитии")
    assert result.intent == "report_incident"
    assert result.degraded


async def test_an_outage_is_logged_once_and_the_recovery_too(
    client: NluClient, rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    caplog.set_level(logging.INFO, logger="nlu.client")
    rasa.respond = refuse
    for text in ("сәлем", "рахмет", "где библиотека"):
        assert (await client.parse(text)).degraded
    rasa.respond = FakeRasa.echo_greet
    assert not (await client.parse("сәлем")).degraded
    rasa.respond = refuse
    await client.parse("сәлем")

    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    levels = [level for level, _ in messages]
    assert levels == ["WARNING", "INFO", "WARNING"]
    assert "unavailable" in messages[0][1]


async def test_empty_text_never_reaches_rasa(client: NluClient, rasa: FakeRasa) -> None:
    result = await client.parse("   ")
    assert result.intent == "out_of_scope"
    assert not result.degraded
    assert rasa.requests == []


async def test_very_long_text_is_cut_before_sending(client: NluClient, rasa: FakeRasa) -> None:
    text = "жатақхана туралы сұрақ " * 500
    result = await client.parse(text)
    (sent,) = rasa.sent_texts()
    assert len(sent) <= MAX_TEXT_LENGTH
    assert text.startswith(sent)
    assert result.text == text


async def test_a_leading_slash_cannot_dictate_the_intent(client: NluClient, rasa: FakeRasa) -> None:
    # Rasa would read "/delete_my_data" as that intent, given outright at confidence 1.0.
    rasa.respond = lambda request: httpx.Response(
        200,
        json=rasa_answer(
            "на русском",
            "change_language",
            0.9,
            entities=[{"entity": "language", "value": "ru", "start": 3, "end": 10}],
        ),
    )
    text = "/на русском"
    result = await client.parse(text)
    assert rasa.sent_texts() == ["на русском"]
    entity = result.entities[0]
    assert text[entity["start"] : entity["end"]] == "русском"


async def test_json_has_rasas_shape(client: NluClient) -> None:
    payload = (await client.parse("сәлем")).to_json()
    assert payload["text"] == "сәлем"
    assert payload["intent"] == {"name": "greet", "confidence": 0.97}
    assert payload["entities"] == []
    assert payload["intent_ranking"] == [{"name": "greet", "confidence": 0.97}]
    assert payload["degraded"] is False


async def test_availability(rasa: FakeRasa) -> None:
    rasa.respond = lambda request: httpx.Response(200, json={"model_file": "kelisim-nlu.tar.gz"})
    async with NluClient(RASA, transport=httpx.MockTransport(rasa.handler)) as up:
        assert await up.is_available()
    async with NluClient("http://127.0.0.1:9", timeout=0.5) as down:
        assert not await down.is_available()
