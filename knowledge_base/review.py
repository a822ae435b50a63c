"""What makes an answer go stale, and when an entry is due for a person to check it again.

Answers that cite a year, an article of a law or a phone number are the ones a change in the
world makes wrong (the 2026 Constitution renumbered every article), so the review lists them
beside the entries whose review date has passed. Plain Python: the bot, the CLI and the
content lint share it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from knowledge_base.schema import LANGUAGES, FaqItem

__all__ = [
    "ARTICLE",
    "LEGAL",
    "NEVER_REVIEWED",
    "OVERDUE",
    "PHONE",
    "YEAR",
    "ReviewFlags",
    "add_months",
    "cited_articles",
    "due_date",
    "is_overdue",
    "phone_numbers",
    "plain_text",
    "review_flags",
    "years",
]

# Why an entry is on the review list, in the order they are shown.
OVERDUE = "overdue"
NEVER_REVIEWED = "never_reviewed"
LEGAL = "legal"
YEAR = "year"
ARTICLE = "article"
PHONE = "phone"

_TAG_RE = re.compile(r"<[^<>]+>")
_YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
# "статья 14", "статьи 7 и 19", "7-бап", "7, 14 және 19-баптар", "Article 9", "ст. 174".
_NUMBERS = r"\d{1,3}(?:\s*(?:,|и|және|and)\s*\d{1,3})*"
_ARTICLE_RES = (
    re.compile(rf"(?i)(?:стать\w*|ст\.|article)\s*№?\s*({_NUMBERS})(?!\d)"),
    re.compile(rf"(?i)(?<!\d)({_NUMBERS})\s*[-–]?\s*(?:\w{{1,3}}\s+)?(?:ба[пб]\w*|стать\w*)"),
)
_CRIMINAL_RE = re.compile(r"(?i)уголовн|қылмыстық|criminal")
# Kazakhstan's numbers: +7 or 8, then ten digits however they are grouped.
_LONG_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+7|8)[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"
)
# Short service numbers (102, 150 …) next to a word about calling, or set in bold as the
# answers do; a bare 3-digit number elsewhere ("more than 100 groups") is not a phone.
_SHORT_PHONE_RES = (
    re.compile(r"<b>\s*(\d{3,4})\s*</b>"),
    re.compile(
        r"(?i)(?:звон\w*|позвон\w*|телефон\w*|номер\w*|нөмір\w*|қоңырау\w*|call\w*)"
        r"\D{0,25}?(?<!\d)(\d{3,4})(?!\d)"
    ),
    re.compile(
        r"(?i)(?<![\d.,])(\d{3,4})(?!\d)\s*(?:\([^)]*\)\s*)?[-—–]?\s*(?:телефон\w*|сенім\w*|нөмір\w*|номер\w*)"
    ),
)


def plain_text(text: str) -> str:
    """The text without HTML tags (answers use Telegram's <b>, <i> …)."""
    return _TAG_RE.sub("", text)


def years(text: str) -> list[str]:
    """Four-digit years the text mentions."""
    return _YEAR_RE.findall(plain_text(text))


def cited_articles(text: str) -> list[tuple[str, int]]:
    """Article numbers the text cites, each with its law: ("criminal_code", 174) when the
    sentence names the Criminal Code, else ("constitution", n)."""
    found: list[tuple[str, int]] = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n", plain_text(text)):
        law = "criminal_code" if _CRIMINAL_RE.search(sentence) else "constitution"
        spans: list[tuple[int, int]] = []
        for pattern in _ARTICLE_RES:
            for match in pattern.finditer(sentence):
                if any(start <= match.start(1) < end for start, end in spans):
                    continue
                spans.append(match.span(1))
                for number in re.findall(r"\d+", match.group(1)):
                    if (law, int(number)) not in found:
                        found.append((law, int(number)))
    return found


def phone_numbers(text: str) -> list[str]:
    """Phone numbers in the text: full ones (+7 …) and short service numbers (102, 150 …)."""
    numbers: list[str] = []
    for match in _LONG_PHONE_RE.finditer(text):
        numbers.append(re.sub(r"[^\d+]", "", match.group(0)))
    clean = plain_text(text)
    for pattern in _SHORT_PHONE_RES:
        for number in pattern.findall(text if pattern is _SHORT_PHONE_RES[0] else clean):
            if not _YEAR_RE.fullmatch(number):
                numbers.append(number)
    return list(dict.fromkeys(numbers))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(item: FaqItem) -> date | None:
    """When the entry is next due for review (None: it was never reviewed)."""
    if item.reviewed is None:
        return None
    return add_months(item.reviewed, item.review_months)


def is_overdue(item: FaqItem, today: date) -> bool:
    """Whether the entry's review date has passed."""
    due = due_date(item)
    return due is not None and due <= today


@dataclass(frozen=True, slots=True)
class ReviewFlags:
    """Why an entry deserves a look, and when it is due."""

    reasons: tuple[str, ...]
    due: date | None

    @property
    def overdue(self) -> bool:
        return OVERDUE in self.reasons


def review_flags(item: FaqItem, today: date) -> ReviewFlags:
    """Every reason to look at `item` again: overdue or never reviewed, tagged legal, or an
    answer that mentions a year, an article number or a phone number."""
    reasons: list[str] = []
    if is_overdue(item, today):
        reasons.append(OVERDUE)
    elif item.reviewed is None:
        reasons.append(NEVER_REVIEWED)
    if item.legal:
        reasons.append(LEGAL)
    answers = [item.answer.get(lang, "") for lang in LANGUAGES]
    if any(years(text) for text in answers):
        reasons.append(YEAR)
    if any(cited_articles(text) for text in answers):
        reasons.append(ARTICLE)
    if any(phone_numbers(text) for text in answers):
        reasons.append(PHONE)
    return ReviewFlags(tuple(reasons), due_date(item))
