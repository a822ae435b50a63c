"""The keyword rules that understand students while the Rasa server is down."""

from __future__ import annotations

import pytest

from nlu.rules import language_code, rule_based_parse


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Kazakh in standard Cyrillic, without the Kazakh letters, and in Latin script
        ("Сәлеметсіз бе!", "greet"),
        ("салеметсиз бе", "greet"),
        ("Salemetsiz be", "greet"),
        ("Добрый день", "greet"),
        ("сау болыңыз", "goodbye"),
        ("до свидания", "goodbye"),
        ("Рақмет!", "thanks"),
        ("rahmet", "thanks"),
        ("спасибо большое", "thanks"),
        ("маған көмек керек", "help"),
        ("что ты умеешь?", "help"),
        ("сен ботсың ба?", "bot_challenge"),
        ("ты человек или бот?", "bot_challenge"),
        ("кураторға кеңес алғым келеді", "request_consultation"),
        ("хочу консультацию психолога", "request_consultation"),
        ("қандай іс-шаралар бар?", "events"),
        ("какие мероприятия на этой неделе", "events"),
        ("қазақ тілі курсына жазылғым келеді", "courses"),
        ("какие есть курсы", "courses"),
        ("менің өтініштерім", "my_requests"),
        ("статус моей заявки", "my_requests"),
        ("деректерімді өшіріңіз", "delete_my_data"),
        ("удалите мои данные", "delete_my_data"),
        ("хочу оставить отзыв", "feedback"),
        ("пікір қалдырғым келеді", "feedback"),
        ("иә", "affirm"),
        ("да, конечно", "affirm"),
        ("жоқ", "deny"),
        ("нет, не надо", "deny"),
    ],
)
def test_common_intents_in_both_languages(text: str, intent: str) -> None:
    result = rule_based_parse(text)
    assert (result.intent, result.degraded) == (intent, True)
    assert result.ranking[0] == (intent, result.confidence)


@pytest.mark.parametrize(
    "text",
    [
        "мені ұлтым үшін кемсітті",
        "мени ултым ушин кемситти",
        "meni ultym ushin kemsitti",
        "жатақханада мені ұрды",
        "meni urdy",
        "топта төбелес болды",
        "олар мені қорлады",
        "меня оскорбили из-за национальности",
        "мне угрожают",
        "меня избили возле общаги",
        "в группе травля",
        "Diskriminatsiya v obshchezhitii",
        "ugrozhayut",
    ],
)
def test_incidents_are_recognised_in_every_script(text: str) -> None:
    assert rule_based_parse(text).intent == "report_incident"


@pytest.mark.parametrize(
    "text",
    [
        "привет, меня избили",
        "хочу консультацию, меня оскорбили",
        "удалите мои данные, мне угрожают",
        "спасибо, но меня травят",
        "қазақша жаз, мені кемсітті",
    ],
)
def test_an_incident_wins_over_everything_else(text: str) -> None:
    assert rule_based_parse(text).intent == "report_incident"


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("тілді орысшаға ауыстыр", "ru", "орысшаға"),
        ("tildi qazaqshaǵa auystyr", "kk", "qazaqshaǵa"),
        ("переключи на казахский", "kk", "казахский"),
        ("на русском", "ru", "русском"),
        ("qazaqsha", "kk", "qazaqsha"),
    ],
)
def test_change_language_carries_the_language_and_its_place_in_the_text(
    text: str, value: str, span: str
) -> None:
    result = rule_based_parse(text)
    assert result.intent == "change_language"
    (entity,) = result.entities
    assert entity["entity"] == "language"
    assert entity["value"] == value
    assert text[entity["start"] : entity["end"]] == span


def test_the_country_is_not_a_language_switch() -> None:
    assert rule_based_parse("в Казахстане есть общежития?").intent == "ask_faq"


@pytest.mark.parametrize(
    "text",
    [
        "жатақханаға қалай орналасамын?",
        "где находится библиотека",
        "привет, подскажи где деканат?",
        "stipendiya qashan tólenedi",
    ],
)
def test_anything_else_is_a_question_for_the_knowledge_base(text: str) -> None:
    result = rule_based_parse(text)
    assert (result.intent, result.confidence) == ("ask_faq", 0.5)


@pytest.mark.parametrize("text", ["", "   ", "???", "123", "😀👍"])
def test_empty_or_letterless_text_is_out_of_scope(text: str) -> None:
    assert rule_based_parse(text).intent == "out_of_scope"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("орысшаға", "ru"),
        ("orys tiline", "ru"),
        ("на казахкий", "kk"),
        ("kazak tilinde", "kk"),
        ("ru", "ru"),
        ("Казахстан", None),
        ("английский", None),
    ],
)
def test_language_names_resolve_to_codes(value: str, code: str | None) -> None:
    assert language_code(value) == code


def test_json_has_rasas_shape() -> None:
    payload = rule_based_parse("на русском").to_json()
    assert payload["text"] == "на русском"
    assert payload["intent"] == {"name": "change_language", "confidence": 0.9}
    assert payload["entities"][0]["value"] == "ru"
    assert payload["intent_ranking"][0] == {"name": "change_language", "confidence": 0.9}
    assert payload["degraded"] is True
