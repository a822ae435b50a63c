"""The FAQ entry and its validation.

An entry is checked field by field and every problem is reported, so an editor fixing a file
sees all of its mistakes at once instead of one per attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import cast
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_REVIEW_MONTHS",
    "LANGUAGES",
    "LEGAL_REVIEW_MONTHS",
    "LEGAL_TAG",
    "MAX_ANSWER_LENGTH",
    "MAX_REVIEW_MONTHS",
    "MAX_SOURCE_LENGTH",
    "FaqItem",
    "KbProblem",
    "is_slug",
    "item_from_dict",
]

LANGUAGES: tuple[str, ...] = ("kk", "ru")

# Telegram allows 4,096 characters per message; the rest is kept for buttons and markup.
MAX_ANSWER_LENGTH = 3500

_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED_FIELDS = ("id", "category", "question", "answer")
_OPTIONAL_FIELDS = (
    "alternatives",
    "links",
    "published",
    "tags",
    "source",
    "reviewed",
    "review_every",
)
_KNOWN_FIELDS = frozenset(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)


# Entries that rest on a law: students act on them, and laws change (the 2026 Constitution
# renumbered every article), so they are checked twice as often as the rest.
LEGAL_TAG = "legal"
LEGAL_REVIEW_MONTHS = 6
DEFAULT_REVIEW_MONTHS = 12
MAX_REVIEW_MONTHS = 60
MAX_SOURCE_LENGTH = 300
MAX_TAGS = 10


def is_slug(value: object) -> bool:
    """Whether ``value`` is a lower-case slug such as ``unity-club-join``."""
    return isinstance(value, str) and _SLUG_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class FaqItem:
    """One question of the knowledge base with its answer in both languages."""

    id: str
    category: str
    question: Mapping[str, str]
    answer: Mapping[str, str]
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    published: bool = True
    tags: tuple[str, ...] = ()
    source: str | None = None
    reviewed: date | None = None
    review_every: int | None = None

    @property
    def legal(self) -> bool:
        """Whether the answer rests on a law (tagged ``legal``)."""
        return LEGAL_TAG in self.tags

    @property
    def review_months(self) -> int:
        """How many months the entry may go unchecked: its own setting, else 6 for legal
        entries and 12 for the rest."""
        if self.review_every is not None:
            return self.review_every
        return LEGAL_REVIEW_MONTHS if self.legal else DEFAULT_REVIEW_MONTHS

    def to_dict(self) -> dict[str, object]:
        """The entry in the YAML shape of the knowledge base; empty optional fields are left out."""
        data: dict[str, object] = {
            "id": self.id,
            "category": self.category,
            "question": {lang: self.question[lang] for lang in LANGUAGES if lang in self.question},
        }
        alternatives = {
            lang: list(self.alternatives[lang]) for lang in LANGUAGES if self.alternatives.get(lang)
        }
        if alternatives:
            data["alternatives"] = alternatives
        data["answer"] = {lang: self.answer[lang] for lang in LANGUAGES if lang in self.answer}
        if self.links:
            data["links"] = list(self.links)
        if not self.published:
            data["published"] = False
        if self.tags:
            data["tags"] = list(self.tags)
        if self.source:
            data["source"] = self.source
        if self.reviewed is not None:
            data["reviewed"] = self.reviewed
        if self.review_every is not None:
            data["review_every"] = self.review_every
        return data


@dataclass(frozen=True)
class KbProblem:
    """Something wrong in a knowledge-base file, pointing at the file and the entry."""

    source: str
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        if self.entry_id is None:
            return f"{self.source}: {self.message}"
        return f"{self.source}: {self.entry_id}: {self.message}"


def item_from_dict(data: object, source: str, index: int) -> tuple[FaqItem | None, list[KbProblem]]:
    """Validate one YAML entry (``index`` counts from 0 in its file) and build the item.

    Returns the item and no problems, or ``None`` and every problem found.
    """
    position = f"entry {index + 1}"
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        return None, [KbProblem(source, position, f"must be a mapping of fields, not {kind}")]

    raw_id = data.get("id")
    # Report under the id when there is a usable one, so the editor can search for it.
    entry_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else position
    problems: list[str] = []

    if raw_id is None:
        problems.append("id is required")
    elif not is_slug(raw_id):
        problems.append(f"id {raw_id!r} must be a slug of a-z, 0-9 and single hyphens")

    category = data.get("category")
    if category is None:
        problems.append("category is required")
    elif not is_slug(category):
        problems.append(f"category {category!r} must be a slug of a-z, 0-9 and single hyphens")

    question = _texts(data.get("question"), "question", problems)
    answer = _texts(data.get("answer"), "answer", problems)
    for lang, text in answer.items():
        if len(text) > MAX_ANSWER_LENGTH:
            problems.append(
                f"answer.{lang} is {len(text)} characters long, "
                f"more than the {MAX_ANSWER_LENGTH} a message can carry"
            )
    alternatives = _alternatives(data.get("alternatives"), problems)
    links = _links(data.get("links"), problems)

    published = data.get("published", True)
    if not isinstance(published, bool):
        problems.append(f"published must be true or false, not {published!r}")
    tags = _tags(data.get("tags"), problems)
    origin = _source(data.get("source"), problems)
    reviewed = _reviewed(data.get("reviewed"), problems)
    review_every = _review_every(data.get("review_every"), problems)

    unknown = sorted(str(key) for key in data if key not in _KNOWN_FIELDS)
    if unknown:
        problems.append(
            "unknown field(s) "
            + ", ".join(unknown)
            + "; allowed: "
            + ", ".join(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)
        )

    if problems:
        return None, [KbProblem(source, entry_id, message) for message in problems]
    item = FaqItem(
        id=cast(str, raw_id),
        category=cast(str, category),
        question=question,
        answer=answer,
        alternatives=alternatives,
        links=links,
        published=bool(published),
        tags=tags,
        source=origin,
        reviewed=reviewed,
        review_every=review_every,
    )
    return item, []


def _texts(value: object, name: str, problems: list[str]) -> dict[str, str]:
    """A ``{kk: ..., ru: ...}`` mapping of non-empty strings; problems are appended."""
    if value is None:
        problems.append(f"{name} is required (with kk and ru)")
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{name} must be a mapping with kk and ru texts")
        return {}
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if text is None:
            problems.append(f"{name}.{lang} is missing")
        elif not isinstance(text, str):
            problems.append(f"{name}.{lang} must be text, not {type(text).__name__}")
        elif not text.strip():
            problems.append(f"{name}.{lang} is empty")
        else:
            texts[lang] = text.strip()
    _unknown_languages(value, name, problems)
    return texts


def _alternatives(value: object, problems: list[str]) -> dict[str, tuple[str, ...]]:
    """Optional ``{lang: [paraphrase, ...]}``; problems are appended."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append("alternatives must be a mapping of language to a list of texts")
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        texts = value.get(lang)
        if texts is None:
            continue
        if not isinstance(texts, list):
            problems.append(f"alternatives.{lang} must be a list of texts")
            continue
        good: list[str] = []
        for number, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                problems.append(f"alternatives.{lang} item {number} must be non-empty text")
            else:
                good.append(text.strip())
        if good:
            result[lang] = tuple(good)
    _unknown_languages(value, "alternatives", problems)
    return result


def _links(value: object, problems: list[str]) -> tuple[str, ...]:
    """Optional list of http(s) URLs; problems are appended."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("links must be a list of http(s) URLs")
        return ()
    good: list[str] = []
    for number, link in enumerate(value, start=1):
        if isinstance(link, str) and _is_web_url(link.strip()):
            good.append(link.strip())
        else:
            problems.append(f"links item {number} ({link!r}) is not an http(s) URL")
    return tuple(good)


def _tags(value: object, problems: list[str]) -> tuple[str, ...]:
    """Optional list of slugs such as ``legal``; problems are appended."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("tags must be a list of slugs, e.g. [legal]")
        return ()
    good: list[str] = []
    for number, tag in enumerate(value, start=1):
        if is_slug(tag):
            if tag not in good:
                good.append(cast(str, tag))
        else:
            problems.append(f"tags item {number} ({tag!r}) must be a slug of a-z, 0-9 and hyphens")
    if len(good) > MAX_TAGS:
        problems.append(f"tags may hold at most {MAX_TAGS} tags")
    return tuple(good)


def _source(value: object, problems: list[str]) -> str | None:
    """Optional name of the law or document the answer rests on; problems are appended."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append("source must be non-empty text (the law or document the answer rests on)")
        return None
    text = " ".join(value.split())
    if len(text) > MAX_SOURCE_LENGTH:
        problems.append(f"source is longer than {MAX_SOURCE_LENGTH} characters")
    return text


def _reviewed(value: object, problems: list[str]) -> date | None:
    """Optional date (YAML ``2026-12-01``) a person last checked the entry; problems appended."""
    if value is None:
        return None
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"reviewed must be a date such as 2026-12-01, not {value!r}")
    return None


def _review_every(value: object, problems: list[str]) -> int | None:
    """Optional number of months between reviews; problems are appended."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"review_every must be a whole number of months, not {value!r}")
        return None
    if not 1 <= value <= MAX_REVIEW_MONTHS:
        problems.append(f"review_every must be between 1 and {MAX_REVIEW_MONTHS} months")
        return None
    return value


def _is_web_url(text: str) -> bool:
    if not text or any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _unknown_languages(value: Mapping[object, object], name: str, problems: list[str]) -> None:
    unknown = sorted(str(key) for key in value if key not in LANGUAGES)
    if unknown:
        problems.append(
            f"{name} has unknown language(s) {', '.join(unknown)}; use {' and '.join(LANGUAGES)}"
        )
