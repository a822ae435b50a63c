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


# Discrimination, insults, threats, fights, beatings, bullying, harassment (kk and ru).
# Prefixes are chosen so that everyday words do not start with them: not "ур" (урок), not
# "саба" (сабак, a lesson), not "бил" (билет).
_INCIDENT = (
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
    "соккы",  # соққы: blow
    "сабад",  # сабады: beat up
    "сабап",
    "сабаган",
    "сабай",
    "шабуыл",  # attack
    "шабуйл",
    "зорлык",  # зорлық: violence
    "зорла",
    "кудала",  # қудалау: persecute
    "кысым",  # қысым: pressure
    "жабирл",  # жәбірлеу: oppress
    "шеттет",  # шеттету: ostracise
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

# Deleting one's data: a strong verb with the data or "me", a weak one with the data only
# («мені топтан шығарып тастады», "they threw me out of the group", is not a request).
_DELETE_STRONG = ("удал", "стер", "стир", "сотр", "ошир", "жой", "уничтож")
_DELETE_WEAK = ("таста", "тазала", "очист")
_DATA = ("данн", "аккаунт", "профил", "дерек", "малимет", "акпарат", "персонал", "информац", "база")
_ME = frozenset({"мени", "мен", "меня"})
_FORGET = ("умыт", "забуд", "забыт")
_WITHDRAW = ("отозв", "отзов", "кайтар")
_CONSENT = ("соглас", "келисим")

_MY = frozenset({"мои", "моя", "моих", "мое", "мой", "моей", "моего", "моим", "менин", "статус"})
_REQUESTS = (
    "заявк",
    "обращен",
    "консульт",
    "консул",  # Latin "konsultatsiia" loses the soft sign
    "запрос",
    "отиниш",
    "отиним",
    "кенес",
    "сураныс",
    "сауал",
)
# Kazakh says "my requests" with a possessive ending rather than a separate word.
_OWN_REQUESTS = (
    "отинишим",
    "отиништерим",
    "отинимим",
    "отинимдерим",
    "кенесим",
    "кенестерим",
    "сауалдарым",
    "сураныстарым",
    "консультациям",
    "консультацияларым",
    "консултатсиям",
    "консултатсииам",
    "заявкам",
)

_CONSULTATION = (
    "консульт",
    "консултац",
    "консултатс",
    "кенес",  # кеңес: advice, consultation
    "акылдас",  # ақылдасу: consult
    "куратор",
    "психолог",
    "маман",  # specialist
    "специалист",
)

_COURSES = (
    "курс",
    "тренинг",
    "факультатив",
    "мастер",
    "вебинар",
    "учебн",
    "методич",
    "адистеме",  # әдістеме: methodology
    "окулык",  # оқулық: textbook
    "курал",  # оқу құралы: study aid
    "материал",
)
_EVENTS = (
    "мероприят",
    "мерприят",
    "событи",
    "шара",  # іс-шара: event
    "фестивал",
    "экскурс",
    "концерт",
    "афиш",
)
_CLUB = ("клуб",)
_MEETING = ("жиналыс", "кездесу", "встреч", "собира", "отырыс")
_DAY = ("кун", "день", "дни", "дня")
_CULTURE = ("мадениет", "культур")

_FEEDBACK = (
    "отзыв",
    "отзыф",
    "пикир",
    "усыныс",
    "предложен",
    "жалоб",
    "пожалова",
    "оцен",
    "фидбек",
    "наразы",  # наразылық: discontent
    "идея",
    "улучш",
    "жаксарт",  # жақсарту: improve
)
_FEEDBACK_PHRASES = ("кери байланыс", "обратная связь", "обратную связь")
_RATE = ("бага",)  # баға қою: to rate
_PUT = ("кой",)

_KAZAKH_LANGUAGE = ("казак", "казах")
_RUSSIAN_LANGUAGE = ("орыс", "русск")
# "Казахстан" starts like "казах" but names the country, not the language.
_COUNTRY = ("казахстан", "казакстан")
_LANGUAGE_NOUN = ("тил", "язык")
_SWITCH = (
    "ауыстыр",  # ауыстыру: change
    "ауйстыр",
    "озгерт",  # өзгерту: change
    "кошир",  # көшіру: move
    "кошей",
    "переключ",
    "перейд",
    "перейти",
    "перевед",
    "смен",
    "помен",
    "сойле",  # сөйлеу: speak
    "говор",
    "общат",
    "общай",
    "пиши",
    "отвеч",
    "жаз",  # жазу: write
)

_HELP = (
    "помощ",
    "помог",
    "помоч",
    "комек",
    "хелп",
    "команд",
    "умееш",
    "инструкц",
    "функци",
    "мумкиндик",  # мүмкіндік: possibility
    "возможност",
    "меню",
    "пайдалан",  # пайдалану: use
    "пользова",
)
_HELP_PHRASES = (
    "не истей",
    "не истейтин",
    "не келеди",
    "что ты можешь",
    "что ты умеешь",
    "что тут",
    "что здесь",
    "как работает",
    "все работает",
    "мунда не",
)

_BOTS = ("бот", "робот", "программ", "компьютер", "нейросет", "ботсын", "ботпы")
_PEOPLE = ("адам", "человек", "живой", "живым", "тири")
_QUESTION_PARTICLES = frozenset({"ма", "ме", "ба", "бе", "па", "пе", "ли", "мы", "ми"})
_BOT_PHRASES = ("с кем я говорю", "киммен сойлесип", "кто ты", "кто вы", "сен кимсин", "сиз кимсиз")
_YOU = frozenset({"ты", "вы", "сен", "сиз", "ботсын", "адамсын", "ботпысын", "сенбе"})

_AFFIRM = frozenset(
    {
        "иа",
        "ия",
        "ие",
        "да",
        "даа",
        "ага",
        "угу",
        "конечно",
        "разумеется",
        "ок",
        "окей",
        "окай",
        "ладно",
        "хорошо",
        "отлично",
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
        "болсын",
        "бопты",
        "мейли",
        "макул",
        "келисемин",
        "келисемиз",
        "солай",
        "дал",
        "ес",
        "иес",
    }
)
_NEGATION = frozenset(
    {"нет", "неа", "нетушки", "жок", "ешкашан", "ешкандай", "отмена", "ноу", "ненадо"}
)
_DENY_WORDS = _NEGATION | frozenset(
    {"не", "но", "надо", "нужно", "нужна", "керек", "кажет", "хочу", "спасибо", "рахмет", "емес"}
)
_DENY_STEMS = ("каламай", "келиспей", "токтат")
_DENY_PHRASES = ("керек емес", "кажет емес", "олай емес", "дурыс емес", "кереги жок", "не надо")

_THANKS = ("рахмет", "ракмет", "спасибо", "спасиб", "спс", "благодар", "алгыс", "тханк", "сенк")
_GREET_STEMS = (
    "салем",
    "салам",
    "армысы",
    "ассалау",
    "ассалам",
    "привет",
    "здравств",
    "здраств",
    "здрасьт",
    "здрасте",
    "хелло",
    "хеллоу",
    "калайсы",  # қалайсың: how are you
)
_GREET_WORDS = frozenset({"хай", "хи", "ку", "салют"})
_GREET_PHRASES = (
    "добрый день",
    "добрый вечер",
    "доброе утро",
    "кайырлы кун",
    "кайырлы тан",
    "кайырлы кеш",
    "как дела",
    "аман есен",
    "аман есенсин",
    "аман есенсиз",
)
_GOODBYE_STEMS = ("пока", "прощ", "кориск", "кездеск")
_GOODBYE_WORDS = frozenset(
    {"бай", "гудбай", "кош", "шыктым", "кеттим", "кетемин", "пошла", "пошел", "ушла", "ушел"}
)
_GOODBYE_PHRASES = (
    "до свидания",
    "до свидани",
    "дос видания",
    "до встречи",
    "до новых",
    "до завтра",
    "всего доброго",
    "всего хорошего",
    "спокойной ночи",
    "сау бол",
    "сау болыныз",
    "сау болыныздар",
    "сау болын",
    "сау болындар",
    "кош бол",
    "кош сау",
    "кайырлы тун",
    "жаксы тун",
    "тыныш уйыкта",
    "жаксы демалыныз",
    "келеси жолга дейин",
)

# Small talk counts as such only in a short message mostly made of it: "привет, подскажи где
# деканат?" is a question for the knowledge base, "спасибо, помогли" is thanks.
_SMALL_TALK_MAX_WORDS = 4
_SMALL_TALK_EXTRA = 2
_THANKS_MAX_WORDS = 7
_HELP_MAX_WORDS = 6
_BOT_MAX_WORDS = 8


def _word_language(word: str) -> str | None:
    if word.startswith(_COUNTRY):
        return None
    if word.startswith(_KAZAKH_LANGUAGE):
        return "kk"
    if word.startswith(_RUSSIAN_LANGUAGE):
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
        (m.has(_DELETE_STRONG) and (m.has(_DATA) or m.has_word(_ME)))
        or (m.has(_DELETE_WEAK) and m.has(_DATA))
        or (m.has(_FORGET) and m.has_word(_ME))
        or (m.has(_WITHDRAW) and m.has(_CONSENT))
    )


def _asks_for_own_requests(m: _Message) -> bool:
    return (m.has_word(_MY) and m.has(_REQUESTS)) or m.has(_OWN_REQUESTS)


def _is_feedback(m: _Message) -> bool:
    return m.has(_FEEDBACK) or m.has_phrase(_FEEDBACK_PHRASES) or (m.has(_RATE) and m.has(_PUT))


def _is_event(m: _Message) -> bool:
    return (
        m.has(_EVENTS)
        or (m.has(_CLUB) and m.has(_MEETING))
        or (m.has(_CULTURE) and m.has(_DAY) and not m.has(_CLUB))
    )


def _is_bot_challenge(m: _Message) -> bool:
    if m.has_phrase(_BOT_PHRASES):
        return True
    if m.count > _BOT_MAX_WORDS:
        return False
    asks = m.is_question or m.has_word(_QUESTION_PARTICLES)
    return (m.has(_BOTS) or m.has(_PEOPLE)) and (asks or m.has_word(_YOU))


def _is_affirm(m: _Message) -> bool:
    if m.has_word(_NEGATION) or m.has(_DENY_STEMS):
        return False
    return (m.count <= 3 and all(w.text in _AFFIRM for w in m.words)) or (
        m.count <= 4 and m.starts_with(_AFFIRM) and not m.is_question
    )


def _is_deny(m: _Message) -> bool:
    if m.count > 5:
        return False
    return (
        (m.count <= 3 and m.has_word(_NEGATION) and all(w.text in _DENY_WORDS for w in m.words))
        or m.starts_with(_NEGATION)
        or m.has(_DENY_STEMS)
        or m.has_phrase(_DENY_PHRASES)
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
    if m.has(_INCIDENT):
        return "report_incident", []
    if _wants_deletion(m):
        return "delete_my_data", []
    if _asks_for_own_requests(m):
        return "my_requests", []
    if _is_feedback(m):
        return "feedback", []
    if m.has(_CONSULTATION):
        return "request_consultation", []
    if m.has(_COURSES):
        return "courses", []
    language = _language_entity(m)
    short_request = m.count <= 4 and not m.is_question
    if (language is not None and (short_request or m.has(_SWITCH))) or (
        m.has(_LANGUAGE_NOUN) and m.has(_SWITCH)
    ):
        return "change_language", [language] if language is not None else []
    if _is_event(m):
        return "events", []
    if _is_deny(m):
        return "deny", []
    if _is_affirm(m):
        return "affirm", []
    if m.has(_THANKS) and m.count <= _THANKS_MAX_WORDS and not m.is_question:
        return "thanks", []
    if m.count <= _HELP_MAX_WORDS and (m.has(_HELP) or m.has_phrase(_HELP_PHRASES)):
        return "help", []
    if _is_bot_challenge(m):
        return "bot_challenge", []
    if _is_small_talk(m, _GOODBYE_WORDS, _GOODBYE_STEMS, _GOODBYE_PHRASES):
        return "goodbye", []
    if _is_small_talk(m, _GREET_WORDS, _GREET_STEMS, _GREET_PHRASES):
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
