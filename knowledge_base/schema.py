"""The FAQ entry and its validation.

An entry is checked field by field and every problem is reported, so an editor fixing a file
sees all of its mistakes at once instead of one per attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

__all__ = [
    "LANGUAGES",
    "MAX_ANSWER_LENGTH",
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
_OPTIONAL_FIELDS = ("alternatives", "links", "published")
_KNOWN_FIELDS = frozenset(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)


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
