"""The content lint: what the shipped texts must keep true beyond valid YAML.

* no article number that the reviewed facts (`knowledge_base.facts`) do not back;
* phone numbers only from the help-line list;
* both languages of equal substance (neither answer much shorter than the other);
* every entry tagged legal names its source and has been reviewed;
* one voice: the polite «вы» / «сіз» in everything the bot says (docs/voice.md says why).

Plain Python; the test suite runs it over knowledge_base/data and the learning materials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge_base.facts import CONSTITUTION_ARTICLES, CRIMINAL_CODE_ARTICLES, HELP_LINES
from knowledge_base.review import cited_articles, phone_numbers, plain_text
from knowledge_base.schema import LANGUAGES, FaqItem

__all__ = [
    "MAX_LENGTH_RATIO",
    "LintProblem",
    "informal_words",
    "lint_items",
    "lint_text",
    "lint_texts",
]

# Kazakh and Russian versions of one answer differ in length, but not by more than this.
MAX_LENGTH_RATIO = 1.6
# Below this many characters a ratio says little ("Иә." / "Да.").
_RATIO_MIN_LENGTH = 80

_ALLOWED_ARTICLES = {
    "constitution": CONSTITUTION_ARTICLES,
    "criminal_code": CRIMINAL_CODE_ARTICLES,
}

# The informal «ты»: pronouns, second-person singular verbs (-ешь/-ишь) and the imperatives
# answers are most often written with.
_RU_INFORMAL = re.compile(
    r"(?i)(?<![\w-])("
    r"ты|тебе|тебя|тобой|тобою|твой|твоя|твоё|твое|твои|твоего|твоей|твоему|твоим|твоих|твою|"
    r"(?!лишь\b)\w+[еёи]шь(?:ся)?|"
    # Reflexive imperatives: общайся, знакомься (not the infinitive -ться, -чься).
    r"\w+[ая]йся|\w+[^\Wтчаяеиоуыэюё]ься|"
    r"звони|позвони|напиши|пиши|обратись|сообщи|попроси|расскажи|спроси|запиши|выбери|нажми|"
    r"отправь|загляни|приходи|зайди|помни|знай|будь|открой|посмотри|подпишись|попробуй|найди|"
    r"скажи|используй|сохрани|не бойся|не молчи|оставь|уходи|подойди|возьми|покажи|"
    r"проверь|узнай|держись|береги|поговори|ответь|прочитай|присоединяйся|приходи|делай|"
    r"сделай|дай|вызови|запомни|помоги|зови|веди|следи|учи|говори|слушай|ищи|иди|смотри|"
    r"не стесняйся|не переживай|не отвечай|не удаляй|не вступай|сфотографируй|сохраняй|"
    r"записывай|уточни|подай|жалуйся|пожалуйся"
    r")(?![\w-])"
)
_KK_INFORMAL = re.compile(
    r"(?i)(?<![\w-])("
    r"сен|сені|саған|сенің|сенде|сенен|сенімен|сендер|өзің|өзіңе|өзіңді|өзіңнің|өзіңде|"
    # Second person singular: аласың, білесің, болсаң, жазсаң.
    r"\w+(?:сың|сің|саң|сең)|"
    r"хабарлас|жүгін|жібер|таңда|сұра|сақта|шақыр|жаз|шал|қосыл|келіп көр|тырыс|ұмытпа|"
    r"қорықпа|үндеме|тыңда|бол|түсір|көрсет|жина|айтып бер|барып көр|қатыс|оқы|"
    r"тіркел|жазыл|біл|ойлан|қалдыр"
    r")(?![\w-])"
)
# Second-person possessive ("құқығың", "тілің"): -ың/-ің after anything but the genitive's
# н, д, т (тілдің, қазақтың are not the student's).
_KK_POSSESSIVE = re.compile(r"(?i)(?<![\w-])(\w+[^\Wндт\d](?:ың|ің))(?![\w-])")
_KK_NOT_POSSESSIVE = frozenset({"мың", "жүзің"})


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One thing to fix, with where it is."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def informal_words(text: str, language: str) -> list[str]:
    """Words of the informal «ты» / «сен» register in `text`."""
    clean = plain_text(text)
    if language == "ru":
        return [m.group(1) for m in _RU_INFORMAL.finditer(clean)]
    if language == "kk":
        words = [m.group(1) for m in _KK_INFORMAL.finditer(clean)]
        words += [
            m.group(1)
            for m in _KK_POSSESSIVE.finditer(clean)
            if m.group(1).lower() not in _KK_NOT_POSSESSIVE
        ]
        return words
    return []


def lint_text(text: str, language: str, where: str) -> list[LintProblem]:
    """Articles, phone numbers and register of one text."""
    problems: list[LintProblem] = []
    for law, number in cited_articles(text):
        if number not in _ALLOWED_ARTICLES[law]:
            name = "Criminal Code" if law == "criminal_code" else "Constitution"
            problems.append(
                LintProblem(
                    where,
                    f"cites article {number} of the {name}, which the reviewed facts do not "
                    "back (the 2026 Constitution renumbered the articles)",
                )
            )
    for phone in phone_numbers(text):
        if phone not in HELP_LINES:
            problems.append(
                LintProblem(where, f"phone number {phone} is not on the help-line list")
            )
    informal = informal_words(text, language)
    if informal:
        problems.append(
            LintProblem(
                where,
                "informal register ("
                + ", ".join(dict.fromkeys(informal))
                + "): the bot says «вы» / «сіз»",
            )
        )
    return problems


def lint_texts(texts: dict[str, str], where: str) -> list[LintProblem]:
    """Both languages of one text: each checked, and their lengths compared."""
    problems: list[LintProblem] = []
    for language in LANGUAGES:
        if language in texts:
            problems += lint_text(texts[language], language, f"{where}.{language}")
    lengths = [len(plain_text(texts.get(language, "")).strip()) for language in LANGUAGES]
    if min(lengths) == 0 or (
        max(lengths) >= _RATIO_MIN_LENGTH and max(lengths) / min(lengths) > MAX_LENGTH_RATIO
    ):
        problems.append(
            LintProblem(
                where,
                "the languages differ in substance: "
                + ", ".join(
                    f"{lang} {length} characters"
                    for lang, length in zip(LANGUAGES, lengths, strict=True)
                ),
            )
        )
    return problems


def lint_items(items: Iterable[FaqItem], source: str) -> list[LintProblem]:
    """Every problem of the entries of one knowledge-base file."""
    problems: list[LintProblem] = []
    for item in items:
        where = f"{source}: {item.id}"
        problems += lint_texts(dict(item.answer), f"{where}: answer")
        if item.legal and not item.source:
            problems.append(LintProblem(where, "is tagged legal but names no source"))
        if item.reviewed is None:
            problems.append(LintProblem(where, "has no reviewed date"))
    return problems
