"""The bot's NLU client against the real Rasa server and model, over loopback HTTP.

Tests marked ``rasa`` train the model if needed and start Rasa (see tests/fixtures/rasa.py);
they are skipped when the Rasa virtualenv is missing. Run them alone with ``pytest -m rasa``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from nlu import rasa_runner
from nlu.client import NluClient
from nlu.normalize import tokenize

GIBBERISH = ["фывапролджэ", "asdkjh qwezxc", "ккккк ллл", "zzzz xxxx qqqq", "щшгнекуцй"]


@pytest.fixture
async def nlu(rasa_server: str) -> AsyncIterator[NluClient]:
    async with NluClient(rasa_server, timeout=10.0) as client:
        yield client


@pytest.mark.rasa
@pytest.mark.parametrize(
    "variants",
    [
        ["Сәлеметсіз бе, бот", "Салеметсиз бе, бот", "Salemetsiz be, bot"],
        [
            "Маған кеңес керек, кураторға жазылғым келеді",
            "Маган кенес керек, кураторга жазылгым келеди",
            "Maǵan keńes kerek, kuratorǵa jazylǵym keledi",
        ],
        ["Рақмет, көп көмектестің", "Ракмет, коп комектестин", "Raqmet, kóp kómektestiń"],
    ],
    ids=["greet", "request_consultation", "thanks"],
)
async def test_kazakh_is_understood_in_all_three_scripts(
    nlu: NluClient, variants: list[str], request: pytest.FixtureRequest
) -> None:
    expected = request.node.callspec.id
    results = [await nlu.parse(text) for text in variants]
    assert [r.intent for r in results] == [expected] * 3
    assert not any(r.degraded for r in results)


@pytest.mark.rasa
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("здраствуйте", "greet"),
        ("спосибо болшое", "thanks"),
        ("хочу записатся на консултацию к психологу", "request_consultation"),
        ("удалити мои данные пожалуста", "delete_my_data"),
        ("какие мероприятя будут на недели", "events"),
    ],
)
async def test_russian_with_typos(nlu: NluClient, text: str, intent: str) -> None:
    assert (await nlu.parse(text)).intent == intent


@pytest.mark.rasa
@pytest.mark.parametrize("text", GIBBERISH)
async def test_gibberish_is_not_a_confident_greeting(nlu: NluClient, text: str) -> None:
    result = await nlu.parse(text)
    assert not (result.intent == "greet" and result.confidence >= 0.5)


@pytest.mark.rasa
@pytest.mark.parametrize(
    ("text", "language", "span"),
    [
        ("тілді орысшаға ауыстырыңыз", "ru", "орысшаға"),
        ("tildi orysshaǵa auystyryńyz", "ru", "orysshaǵa"),
        ("переключи на казахский", "kk", "казахский"),
        ("қазақша сөйлеші", "kk", "қазақша"),
    ],
)
async def test_change_language_extracts_the_language(
    nlu: NluClient, text: str, language: str, span: str
) -> None:
    result = await nlu.parse(text)
    assert result.intent == "change_language"
    assert result.entity("language") == language
    entity = next(e for e in result.entities if e["entity"] == "language")
    # The entity points into the text as written, whatever the folding did to it.
    assert span in text[entity["start"] : entity["end"]]


@pytest.mark.rasa
@pytest.mark.parametrize(
    "text",
    [
        "жатақханада мені ұлтым үшін кемсітті",
        "zhataqhanada meni ultym ushin kemsitti",
        "меня избили возле общежития из-за национальности",
        "одногруппники оскорбляют меня из-за акцента",
    ],
)
async def test_incidents_are_recognised(nlu: NluClient, text: str) -> None:
    assert (await nlu.parse(text)).intent == "report_incident"


@pytest.mark.rasa
async def test_a_leading_slash_does_not_pick_the_intent(nlu: NluClient) -> None:
    result = await nlu.parse("/delete_my_data")
    assert not (result.intent == "delete_my_data" and result.confidence == 1.0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_without_rasa_the_client_understands_with_rules() -> None:
    async with NluClient(f"http://127.0.0.1:{_closed_port()}", timeout=1.0) as client:
        incident = await client.parse("meni urdy")
        question = await client.parse("кітапхана қайда?")
        available = await client.is_available()
    assert (incident.intent, incident.degraded) == ("report_incident", True)
    assert (question.intent, question.degraded) == ("ask_faq", True)
    assert not available


@pytest.mark.rasa
def test_parse_from_standard_input_prints_one_json_object_per_line(rasa_server: str) -> None:
    texts = ["Сәлеметсіз бе", "", "переключи на казахский", "meni urdy"]
    completed = subprocess.run(
        [sys.executable, "-m", "nlu.cli", "nlu", "parse", "-", "--json"],
        input="\n".join(texts) + "\n",
        capture_output=True,
        text=True,
        cwd=rasa_runner.PROJECT_ROOT,
        env={**os.environ, "RASA_URL": rasa_server, "RASA_TOKEN": ""},
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [line["text"] for line in lines] == texts
    for line in lines:
        assert set(line) >= {"intent", "entities", "intent_ranking"}
        assert set(line["intent"]) == {"name", "confidence"}
    assert lines[0]["intent"]["name"] == "greet"
    assert lines[2]["entities"][0]["value"] == "kk"
    assert not any(line["degraded"] for line in lines)


@pytest.mark.rasa
def test_the_tokenizer_folds_words_and_keeps_offsets_into_the_original() -> None:
    # Run the real component in Rasa's own interpreter; its words must be nlu.normalize's.
    try:
        rasa_runner.rasa_executable()
    except rasa_runner.RasaNotInstalledError as error:
        pytest.skip(str(error))
    texts = ["Сәлеметсіз бе!", "Qazaqsha sóıle, pls", "пpивeт  — sa'lem", "😀"]
    script = (
        "import json, sys\n"
        "from rasa.shared.nlu.training_data.message import Message\n"
        "from nlu.components.tokenizer import NormalizingTokenizer\n"
        "tokenizer = NormalizingTokenizer(NormalizingTokenizer.get_default_config())\n"
        "for text in json.load(sys.stdin):\n"
        "    tokens = tokenizer.tokenize(Message(data={'text': text}), 'text')\n"
        "    print(json.dumps([[t.text, t.start, t.end] for t in tokens]))\n"
    )
    python = rasa_runner.venv_dir() / "bin" / "python"
    completed = subprocess.run(
        [str(python), "-c", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=rasa_runner.PROJECT_ROOT,
        env=rasa_runner.rasa_environment(),
        timeout=120,
        check=True,
    )
    outputs = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("[")]
    assert len(outputs) == len(texts)
    for text, tokens in zip(texts[:3], outputs[:3], strict=True):
        assert [t[0] for t in tokens] == tokenize(text)
        for word, start, end in tokens:
            assert tokenize(text[start:end]) == [word]
    # Emoji only: still one token, so the message can be featurized.
    assert len(outputs[3]) == 1
