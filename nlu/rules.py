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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nlu.normalize import normalize_word

__all__ = ["FALLBACK_INTENT", "NluResult", "rule_based_parse"]

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


def _words(text: str) -> list[_Word]:
    return [_Word(normalize_word(m.group(0)), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def _has_stem(words: Iterable[_Word], stems: Iterable[str]) -> bool:
    stems = tuple(stems)
    return any(word.text.startswith(stems) for word in words)


def _has_word(words: Iterable[_Word], vocabulary: frozenset[str]) -> bool:
    return any(word.text in vocabulary for word in words)


def _has_phrase(folded: str, phrases: Iterable[str]) -> bool:
    padded = f" {folded} "
    return any(f" {phrase} " in padded for phrase in phrases)


# Discrimination, insults, threats, fights, beatings, bullying, harassment (kk and ru).
# Prefixes are chosen so that everyday words do not start with them: not "ур" (урок), not
# "саба" (сабак, a lesson), not "бил" (билет).
_INCIDENT_STEMS = (
    # Kazakh
    "кемсит",  # кемсіту: discriminate
    "корла",  # қорлау: insult, humiliate
    "балагат",  # балағаттау: swear at
    "бокта",  # боқтау: swear at
    "мазак",  # мазақтау: mock
    "келеке",  # ridicule
    "коркыт",  # қорқыту: threaten, frighten
    "кокан",  # қоқан-лоқы: threats
    "локы",
    "урды",  # ұрды, ұрып, ұрған, ...: beat
    "урып",
    "урган",
    "урад",
    "урмак",
    "урыс",  # ұрыс: fight, quarrel
    "тобелес",  # төбелес: fight
    "сокты",  # соқты: hit
    "согып",
    "сабад",  # сабады: beat up
    "сабап",
    "сабаган",
    "сабай",
    "зорлык",  # зорлық: violence
    "зорла",
    "кудала",  # қудалау: persecute
    "кысым",  # қысым: pressure
    "жабирл",  # жәбірлеу: oppress
    "ошпенди",  # өшпенділік: hatred
    "ултшыл",  # ұлтшыл: nationalist (нәсілшіл, racist, is covered by "насил" below)
    "жанжал",  # conflict, scandal
    # Russian
    "дискрими",
    "оскорб",
    "униж",
    "угрож",
    "угроз",
    "запуг",
    "избил",
    "избив",
    "избит",
    "побил",
    "побои",
    "бьют",
    "ударил",
    "ударят",
    "драк",
    "дерутся",
    "подрал",
    "травл",
    "травят",
    "травит",
    "буллинг",
    "булинг",
    "булли",
    "издева",
    "насил",
    "расизм",
    "расист",
    "нацист",
    "национализм",
    "националист",
    "ксенофоб",
    "притесн",
    "преслед",
    "обзыва",
    "обозвал",
    "гноб",
    "домога",
    "шантаж",
    "вымога",
    "агресс",
    "конфликт",
    "нападе",
    "напал",
    "приставал",
    "пристают",
    "харассмент",
)

_DELETE_VERBS = ("удал", "стер", "стир", "ошир", "жой", "уничтож")
_DATA_NOUNS = ("данн", "аккаунт", "профил", "дерек", "малимет", "акпарат", "персонал")
_FORGET_PHRASES = ("забудь меня", "забудьте меня", "мени умыт")

_MY_WORDS = frozenset(
    {"мои", "моя", "моих", "мое", "мой", "моей", "моего", "моим", "менин", "статус"}
)
_REQUEST_STEMS = ("заявк", "обращен", "консульт", "запрос", "отиниш", "кенес", "сураныс", "сауал")
_MY_REQUEST_OWN_STEMS = ("отинишим", "отиништерим", "кенесим", "кенестерим", "сауалдарым")

_CONSULTATION_STEMS = (
    "консульт",
    "кенес",  # кеңес: advice, consultation
    "куратор",
    "психолог",
    "маман",  # specialist
    "специалист",
)

_COURSE_STEMS = ("курс", "тренинг", "факультатив", "мастер")
_EVENT_STEMS = (
    "мероприят",
    "событи",
    "шара",  # іс-шара: event
    "фестивал",
    "экскурс",
    "концерт",
    "афиш",
    "мереке",  # holiday
    "мадениет",  # мәдениет күні: culture day
)
_FEEDBACK_STEMS = ("отзыв", "пикир", "усыныс", "предложен", "жалоб", "оцен", "фидбек")

_KAZAKH_LANGUAGE_STEMS = ("казак", "казах")
_RUSSIAN_LANGUAGE_STEMS = ("орыс", "русск")
# "Казахстан" starts like "казах" but names the country, not the language.
_COUNTRY_STEMS = ("казахстан", "казакстан")
_SWITCH_STEMS = (
    "тил",  # тіл: language
    "язык",
    "ауыстыр",  # ауыстыру: change
    "ауйстыр",
    "переключ",
    "перейд",
    "перейти",
    "смен",
    "помен",
    "сойле",  # сөйлеу: speak
    "говор",
    "пиши",
    "отвеч",
    "жаз",  # жазу: write
)

_GREET_WORDS = frozenset(
    {
        "салем",
        "салеметсиз",
        "салеметсизбе",
        "салеметсиздер",
        "салам",
        "армысыз",
        "армысын",
        "ассалаумагалейкум",
        "ассаламуалейкум",
        "привет",
        "приветик",
        "здравствуй",
        "здравствуйте",
        "здрасте",
        "здрасьте",
        "хай",
        "хелло",
        "хеллоу",
        "хи",
    }
)
_GREET_PHRASES = (
    "добрый день",
    "добрый вечер",
    "доброе утро",
    "кайырлы кун",
    "кайырлы тан",
    "кайырлы кеш",
)
_GOODBYE_WORDS = frozenset(
    {"пока", "прощай", "прощайте", "корискенше", "кездескенше", "бай", "гудбай"}
)
_GOODBYE_PHRASES = (
    "до свидания",
    "дос видания",
    "до встречи",
    "всего доброго",
    "всего хорошего",
    "спокойной ночи",
    "сау бол",
    "сау болыныз",
    "сау болын",
    "кош бол",
    "кош сау",
    "кайырлы тун",
)
_THANKS_STEMS = (
    "рахмет",
    "ракмет",
    "спасибо",
    "спасиб",
    "спс",
    "благодар",
    "алгыс",
    "тханк",
    "сенк",
)
_HELP_STEMS = ("помощ", "помог", "помоч", "комек", "хелп", "команд", "умееш", "инструкц")
_HELP_PHRASES = (
    "не истей аласын",
    "не истей аласыз",
    "что ты можешь",
    "что ты умеешь",
    "как пользоваться",
)
_BOT_WORDS = frozenset(
    {"бот", "робот", "человек", "адам", "живой", "ботсын", "адамсын", "ботпысын"}
)
_YOU_WORDS = frozenset({"ты", "вы", "сен", "сиз", "ботсын", "адамсын", "ботпысын", "сенбе"})
_BOT_PHRASES = ("с кем я говорю", "киммен сойлесип", "кто ты", "кто вы", "сен кимсин", "сиз кимсиз")

_AFFIRM_WORDS = frozenset(
    {
        "иа",
        "ия",
        "ие",
        "да",
        "ага",
        "угу",
        "конечно",
        "ок",
        "окей",
        "окай",
        "верно",
        "точно",
        "правильно",
        "согласен",
        "согласна",
        "давай",
        "давайте",
        "дурыс",
        "арине",
        "жарайды",
        "болады",
        "макул",
        "ес",
        "иес",
    }
)
_NEGATION_WORDS = frozenset({"нет", "неа", "не", "жок", "емес", "отмена", "но", "ноу", "ненадо"})
_DENY_WORDS = _NEGATION_WORDS | frozenset(
    {"надо", "нужно", "нужна", "керек", "кажет", "хочу", "спасибо", "рахмет", "отменить"}
)

# Greetings, thanks and the like are only taken as such in a short message: a longer one
# ("привет, где библиотека?") is a question, better served by the knowledge base.
_SHORT = 4
_HELP_MAX_WORDS = 6


def _language_entity(words: list[_Word]) -> dict[str, Any] | None:
    for word in words:
        if word.text.startswith(_COUNTRY_STEMS):
            continue
        if word.text.startswith(_KAZAKH_LANGUAGE_STEMS):
            value = "kk"
        elif word.text.startswith(_RUSSIAN_LANGUAGE_STEMS):
            value = "ru"
        else:
            continue
        return {
            "entity": "language",
            "value": value,
            "start": word.start,
            "end": word.end,
            "extractor": "rules",
        }
    return None


def _classify(words: list[_Word]) -> tuple[str, list[dict[str, Any]]]:
    folded = " ".join(word.text for word in words)
    count = len(words)

    if _has_stem(words, _INCIDENT_STEMS):
        return "report_incident", []
    if (_has_stem(words, _DELETE_VERBS) and _has_stem(words, _DATA_NOUNS)) or _has_phrase(
        folded, _FORGET_PHRASES
    ):
        return "delete_my_data", []
    if (_has_word(words, _MY_WORDS) and _has_stem(words, _REQUEST_STEMS)) or _has_stem(
        words, _MY_REQUEST_OWN_STEMS
    ):
        return "my_requests", []
    if _has_stem(words, _CONSULTATION_STEMS):
        return "request_consultation", []
    if _has_stem(words, _COURSE_STEMS):
        return "courses", []
    language = _language_entity(words)
    if language is not None and (count <= 3 or _has_stem(words, _SWITCH_STEMS)):
        return "change_language", [language]
    if _has_stem(words, _EVENT_STEMS):
        return "events", []
    if _has_stem(words, _FEEDBACK_STEMS):
        return "feedback", []
    if _has_phrase(folded, _BOT_PHRASES) or (
        count <= 6 and _has_word(words, _BOT_WORDS) and _has_word(words, _YOU_WORDS)
    ):
        return "bot_challenge", []
    if count <= 3 and all(word.text in _AFFIRM_WORDS for word in words):
        return "affirm", []
    if (
        count <= 3
        and _has_word(words, _NEGATION_WORDS)
        and all(word.text in _DENY_WORDS for word in words)
    ):
        return "deny", []
    if count <= _HELP_MAX_WORDS and (
        _has_stem(words, _HELP_STEMS) or _has_phrase(folded, _HELP_PHRASES)
    ):
        return "help", []
    if count <= _SHORT:
        if _has_stem(words, _THANKS_STEMS):
            return "thanks", []
        if _has_word(words, _GOODBYE_WORDS) or _has_phrase(folded, _GOODBYE_PHRASES):
            return "goodbye", []
        if _has_word(words, _GREET_WORDS) or _has_phrase(folded, _GREET_PHRASES):
            return "greet", []
    return "ask_faq", []


def rule_based_parse(text: str) -> NluResult:
    """Understand ``text`` with keyword rules alone (used while Rasa is unreachable)."""
    words = _words(text)
    if not any(ch.isalpha() for word in words for ch in word.text):
        return NluResult(
            intent="out_of_scope",
            confidence=_RULE_CONFIDENCE,
            ranking=[("out_of_scope", _RULE_CONFIDENCE)],
            degraded=True,
            text=text,
        )
    intent, entities = _classify(words)
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
