"""Admins editing the knowledge base: find, view, add, edit, publish, delete, restore.

Every change is a new version of the entry (see `kb_history`) and bumps the store's revision,
so every bot replica reloads its search index. Edits are optimistic: the caller says which
version it edited, and a change made meanwhile by someone else is refused with `EntryChanged`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FaqEntry, FaqEntryStats, utcnow
from bot.services import kb_history
from bot.services.knowledge import ImportSummary, KnowledgeBase, _apply_item, entry_to_item
from knowledge_base.loader import parse_document
from knowledge_base.schema import LANGUAGES, FaqItem, KbProblem, is_slug, item_from_dict
from knowledge_base.search import FaqIndex

log = logging.getLogger(__name__)

# Telegram refuses a message longer than this (in UTF-16 code units).
TELEGRAM_LIMIT = 4096
MAX_QUESTION_LENGTH = 300
MAX_PARAPHRASES = 30
MAX_LINKS = 10
MAX_CATEGORY_LENGTH = 40
RESTORE_DAYS = 30
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class EntryGone(LookupError):
    """The entry does not exist (any more)."""


class EntryChanged(RuntimeError):
    """Someone changed the entry after the caller read it; `current` is how it is now."""

    def __init__(self, current: AdminEntry) -> None:
        super().__init__(f"entry {current.slug} is at version {current.version}")
        self.current = current


@dataclass(frozen=True, slots=True)
class AdminEntry:
    """An entry as admins see it: published or not, deleted or not, with its counters."""

    pk: int
    item: FaqItem
    version: int
    updated_at: datetime
    deleted_at: datetime | None = None
    shown: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def slug(self) -> str:
        return self.item.id

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


# --- Telegram HTML -------------------------------------------------------------------------------

# Tags Telegram's HTML parse mode accepts, with the attributes each may carry.
_ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


@dataclass(frozen=True, slots=True)
class HtmlProblem:
    """Why a text cannot be sent as Telegram HTML: `code` names the kind, `tag` the culprit."""

    code: str  # unsupported_tag | bad_attribute | unclosed | unexpected_close
    tag: str

    def describe(self) -> str:
        """In English, for import reports (the bot translates the codes itself)."""
        messages = {
            "unsupported_tag": "tag <{tag}> is not supported by Telegram",
            "bad_attribute": "tag <{tag}> has an attribute Telegram does not accept",
            "unclosed": "tag <{tag}> is opened but never closed",
            "unexpected_close": "tag </{tag}> closes nothing that is open",
        }
        return messages[self.code].format(tag=self.tag)


def clean_html(text: str) -> tuple[str, HtmlProblem | None]:
    """Make `text` safe for Telegram's HTML mode.

    A `<`, `>` or `&` that is not part of a tag or entity is escaped (people write "5 < 6" or
    "Q&A"); a tag Telegram would refuse, or tags that do not nest, are a problem, because
    guessing what the author meant would change the answer. Returns the text and the problem.
    """
    out: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = _TAG_RE.match(text, position)
            if match is None:
                out.append("&lt;")
                position += 1
                continue
            closing, name, attributes, _self_closing = match.groups()
            name = name.lower()
            if name not in _ALLOWED_TAGS:
                return text, HtmlProblem("unsupported_tag", name)
            if closing:
                if not stack or stack[-1] != name:
                    return text, HtmlProblem("unexpected_close", name)
                stack.pop()
            else:
                if not _attributes_ok(name, attributes or ""):
                    return text, HtmlProblem("bad_attribute", name)
                stack.append(name)
            out.append(match.group(0))
            position = match.end()
        elif char == ">":
            out.append("&gt;")
            position += 1
        elif char == "&":
            match = _ENTITY_RE.match(text, position)
            if match is None or not _entity_ok(match.group(0)):
                out.append("&amp;")
                position += 1
            else:
                out.append(match.group(0))
                position = match.end()
        else:
            out.append(char)
            position += 1
    if stack:
        return text, HtmlProblem("unclosed", stack[-1])
    return "".join(out), None


def _attributes_ok(name: str, attributes: str) -> bool:
    """Only the attributes Telegram accepts, with values it accepts (a link must be one)."""
    values = {
        m.group(1).lower(): next((v for v in m.group(2, 3, 4) if v is not None), "")
        for m in _ATTR_RE.finditer(attributes)
    }
    if not set(values) <= _ALLOWED_TAGS[name]:
        return False
    if name == "a":
        return re.match(r"(https?://\S+|tg://\S+|mailto:\S+)$", values.get("href", "")) is not None
    if name == "span":
        return values.get("class") == "tg-spoiler"
    return True


def _entity_ok(entity: str) -> bool:
    """A numeric entity must name a character (a stray "&#" is escaped instead)."""
    if not entity.startswith("&#"):
        return True
    number = entity[2:-1]
    code = int(number[1:], 16) if number[:1] in "xX" else int(number)
    return 0 < code <= 0x10FFFF


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def rendered_length(item: FaqItem, language: str) -> int:
    """Length of the answer message students get (the layout of `journeys.render_entry`)."""
    text = f"<b>{html.escape(item.question[language], quote=False)}</b>\n\n{item.answer[language]}"
    if item.links:
        text += "\n\n" + "\n".join(html.escape(link, quote=False) for link in item.links)
    return telegram_length(text)


def item_problems(item: FaqItem) -> list[str]:
    """What would stop the item from reaching students intact (English, for reports)."""
    problems: list[str] = []
    for lang in LANGUAGES:
        if len(item.question.get(lang, "")) > MAX_QUESTION_LENGTH:
            problems.append(f"question.{lang} is longer than {MAX_QUESTION_LENGTH} characters")
        answer = item.answer.get(lang, "")
        _cleaned, problem = clean_html(answer)
        if problem is not None:
            problems.append(f"answer.{lang}: {problem.describe()}")
        elif lang in item.question and rendered_length(item, lang) > TELEGRAM_LIMIT:
            problems.append(
                f"answer.{lang} with its question and links is longer than the "
                f"{TELEGRAM_LIMIT} characters of a Telegram message"
            )
    return problems


def with_clean_html(item: FaqItem) -> FaqItem:
    """The item with stray `<`, `>` and `&` of its answers escaped."""
    answers = {lang: clean_html(text)[0] for lang, text in item.answer.items()}
    return replace(item, answer=answers)


# --- slugs ---------------------------------------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i i k l m n o p r s t u f h ts ch sh sch - y - e yu ya a g q n o u u h i".split(),
        strict=True,
    )
)


def make_slug(text: str, taken: Iterable[str]) -> str:
    """A readable id from a question ("Когда Наурыз?" → "kogda-nauryz"), unique among `taken`."""
    latin = "".join(_TRANSLIT.get(ch, ch) if ch != "-" else " " for ch in text.lower())
    latin = latin.replace("-", "")
    words = re.findall(r"[a-z0-9]+", latin)[:6]
    base = "-".join(words)[:50].strip("-") or "entry"
    taken = set(taken)
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


# --- reading -------------------------------------------------------------------------------------


def _admin_entry(row: FaqEntry, stats: FaqEntryStats | None = None) -> AdminEntry:
    return AdminEntry(
        pk=row.pk,
        item=entry_to_item(row),
        version=row.version,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        shown=stats.shown if stats else 0,
        helpful=stats.helpful if stats else 0,
        not_helpful=stats.not_helpful if stats else 0,
    )


async def get_entry(session: AsyncSession, pk: int) -> AdminEntry | None:
    """The entry with its counters, deleted or not."""
    row = await session.get(FaqEntry, pk, populate_existing=True)
    if row is None:
        return None
    return _admin_entry(row, await session.get(FaqEntryStats, pk, populate_existing=True))


async def categories(session: AsyncSession) -> list[tuple[str, int]]:
    """Categories of the entries not deleted, with how many entries each has."""
    rows = await session.execute(
        select(FaqEntry.category, func.count())
        .where(FaqEntry.deleted_at.is_(None))
        .group_by(FaqEntry.category)
        .order_by(FaqEntry.category)
    )
    return [(category, int(count)) for category, count in rows.all()]


async def entries_in_category(session: AsyncSession, category: str) -> list[AdminEntry]:
    rows = await session.scalars(
        select(FaqEntry)
        .where(FaqEntry.category == category, FaqEntry.deleted_at.is_(None))
        .order_by(FaqEntry.slug)
    )
    return [_admin_entry(row) for row in rows.all()]


async def search_entries(session: AsyncSession, text: str, limit: int = 10) -> list[AdminEntry]:
    """Entries (published or not) matching an id, or words as students would write them."""
    rows = {
        row.slug: row
        for row in (
            await session.scalars(select(FaqEntry).where(FaqEntry.deleted_at.is_(None)))
        ).all()
    }
    query = text.strip()
    found: list[FaqEntry] = []
    if query.lower() in rows:
        found.append(rows[query.lower()])
    index = FaqIndex(entry_to_item(row) for row in rows.values())
    for match in index.search(query, limit=limit).matches:
        if rows[match.id] not in found:
            found.append(rows[match.id])
    if len(found) < limit:
        # Plain substring search too: admins look for a phrase they remember from an answer.
        needle = query.casefold()
        for row in rows.values():
            haystack = " ".join(
                (row.slug, row.question_kk, row.question_ru, row.answer_kk, row.answer_ru)
            ).casefold()
            if needle and needle in haystack and row not in found:
                found.append(row)
    return [_admin_entry(row) for row in found[:limit]]


async def deleted_entries(session: AsyncSession) -> list[AdminEntry]:
    """Entries deleted within the last `RESTORE_DAYS` days, most recent first."""
    rows = await session.scalars(
        select(FaqEntry)
        .where(FaqEntry.deleted_at.is_not(None))
        .order_by(FaqEntry.deleted_at.desc())
    )
    return [_admin_entry(row) for row in rows.all()]


async def all_slugs(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(FaqEntry.slug))).all())


# --- changing ------------------------------------------------------------------------------------


async def _locked_row(session: AsyncSession, pk: int, expected_version: int | None) -> FaqEntry:
    row = await session.get(FaqEntry, pk, populate_existing=True, with_for_update=True)
    if row is None:
        raise EntryGone(pk)
    if expected_version is not None and row.version != expected_version:
        raise EntryChanged(_admin_entry(row, await session.get(FaqEntryStats, pk)))
    return row


async def _save(
    session: AsyncSession,
    row: FaqEntry,
    item: FaqItem,
    action: str,
    author_id: int | None,
    *,
    deleted_at: datetime | None = None,
) -> AdminEntry:
    old = entry_to_item(row)
    expected = row.version
    values = {
        "category": item.category,
        "question_kk": item.question["kk"],
        "question_ru": item.question["ru"],
        "answer_kk": item.answer["kk"],
        "answer_ru": item.answer["ru"],
        "alternatives": {k: list(v) for k, v in item.alternatives.items() if v},
        "links": list(item.links),
        "published": item.published,
        "tags": list(item.tags),
        "source": item.source,
        "reviewed": item.reviewed,
        "review_every": item.review_every,
        "deleted_at": deleted_at,
        "version": expected + 1,
        "updated_at": utcnow(),
    }
    # The version in the WHERE clause makes two simultaneous saves of one entry safe: the
    # second matches no row and is told the entry changed.
    result = await session.execute(
        update(FaqEntry)
        .where(FaqEntry.pk == row.pk, FaqEntry.version == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = await get_entry(session, row.pk)
        if current is None:
            raise EntryGone(row.pk)
        raise EntryChanged(current)
    await session.refresh(row)
    kb_history.add_version(
        session, row, item, action, kb_history.changed_fields(old, item), author_id
    )
    await kb_history.bump_revision(session)
    entry = await get_entry(session, row.pk)
    assert entry is not None
    return entry


async def create_entry(session: AsyncSession, item: FaqItem, author_id: int) -> AdminEntry:
    """Add a new entry; without a free id of its own, one is made from the Russian question."""
    taken = await all_slugs(session)
    if not item.id or item.id in taken or not is_slug(item.id):
        item = replace(item, id=make_slug(item.question["ru"], taken))
    item = with_clean_html(item)
    row = FaqEntry(slug=item.id, version=1)
    _apply_item(row, item)
    session.add(row)
    await session.flush()
    kb_history.add_version(
        session, row, item, kb_history.CREATED, kb_history.changed_fields(None, item), author_id
    )
    await kb_history.bump_revision(session)
    entry = await get_entry(session, row.pk)
    assert entry is not None
    return entry


async def update_entry(
    session: AsyncSession, pk: int, expected_version: int, item: FaqItem, author_id: int
) -> AdminEntry:
    """Replace the content of entry `pk`, which the caller saw at `expected_version`."""
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = with_clean_html(replace(item, id=row.slug))
    return await _save(session, row, item, kb_history.EDITED, author_id)


async def set_published(
    session: AsyncSession, pk: int, expected_version: int, published: bool, author_id: int
) -> AdminEntry:
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = replace(entry_to_item(row), published=published)
    action = kb_history.PUBLISHED if published else kb_history.UNPUBLISHED
    return await _save(session, row, item, action, author_id)


async def delete_entry(
    session: AsyncSession, pk: int, expected_version: int, author_id: int
) -> AdminEntry:
    """Hide the entry from students and lists; restorable for `RESTORE_DAYS` days."""
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    return await _save(
        session, row, entry_to_item(row), kb_history.DELETED, author_id, deleted_at=utcnow()
    )


async def undelete_entry(session: AsyncSession, pk: int, author_id: int) -> AdminEntry:
    row = await _locked_row(session, pk, None)
    if row.deleted_at is None:
        return _admin_entry(row, await session.get(FaqEntryStats, pk))
    return await _save(session, row, entry_to_item(row), kb_history.UNDELETED, author_id)


async def restore_version(
    session: AsyncSession, pk: int, version: int, author_id: int
) -> AdminEntry:
    """Make an earlier version current again (a new version); a deleted entry comes back."""
    stored = await kb_history.get_version(session, pk, version)
    if stored is None:
        raise EntryGone(pk)
    row = await _locked_row(session, pk, None)
    item = replace(kb_history.item_from_data(stored.data), id=row.slug)
    return await _save(session, row, item, kb_history.RESTORED, author_id)


async def add_paraphrase(
    session: AsyncSession, pk: int, language: str, text: str, author_id: int
) -> AdminEntry:
    """Add `text` to the entry's paraphrases in `language` (nothing if it is there already)."""
    row = await _locked_row(session, pk, None)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = entry_to_item(row)
    current = tuple(item.alternatives.get(language, ()))
    if text.strip().casefold() in {t.casefold() for t in current} | {
        item.question[language].casefold()
    }:
        return _admin_entry(row, await session.get(FaqEntryStats, pk))
    alternatives = dict(item.alternatives)
    alternatives[language] = (*current, text.strip())
    return await _save(
        session, row, replace(item, alternatives=alternatives), kb_history.EDITED, author_id
    )


async def purge_deleted(session: AsyncSession, now: datetime | None = None) -> int:
    """Remove for good the entries deleted more than `RESTORE_DAYS` days ago."""
    cutoff = (now or utcnow()) - timedelta(days=RESTORE_DAYS)
    result = await session.execute(
        delete(FaqEntry).where(FaqEntry.deleted_at.is_not(None), FaqEntry.deleted_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def watch_store(
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    interval: float = 10.0,
    purge_every: float = 3600.0,
) -> None:
    """Reload the search index when the store changed elsewhere (another replica, the CLI),
    and purge entries deleted more than `RESTORE_DAYS` days ago. Runs until cancelled."""
    last_purge = float("-inf")
    while True:
        await asyncio.sleep(interval)
        try:
            if await kb.refresh(session_factory):
                log.info("knowledge base changed in the store: %d published entries", len(kb))
            if time.monotonic() - last_purge >= purge_every:
                async with session_factory() as session, session.begin():
                    purged = await purge_deleted(session)
                last_purge = time.monotonic()
                if purged:
                    log.info("purged %d knowledge-base entries deleted long ago", purged)
        except Exception:  # the store may be briefly unavailable; try again next round
            log.exception("could not check the knowledge base for changes")


# --- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KbStats:
    most_shown: list[AdminEntry]
    least_helpful: list[AdminEntry]
    total_shown: int
    total_helpful: int
    total_not_helpful: int


async def kb_stats(session: AsyncSession, limit: int = 10) -> KbStats:
    """The most shown entries, and those students judged least helpful (with any vote)."""
    rows = (
        await session.execute(
            select(FaqEntry, FaqEntryStats)
            .join(FaqEntryStats, FaqEntryStats.entry_pk == FaqEntry.pk)
            .where(FaqEntry.deleted_at.is_(None))
        )
    ).all()
    entries = [_admin_entry(row, stats) for row, stats in rows]
    most_shown = sorted((e for e in entries if e.shown), key=lambda e: (-e.shown, e.slug))[:limit]
    voted = [e for e in entries if e.helpful + e.not_helpful]
    least_helpful = sorted(
        voted,
        key=lambda e: (e.helpful / (e.helpful + e.not_helpful), -e.not_helpful, e.slug),
    )[:limit]
    return KbStats(
        most_shown,
        least_helpful,
        sum(e.shown for e in entries),
        sum(e.helpful for e in entries),
        sum(e.not_helpful for e in entries),
    )


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """A validated upload: its items, or every problem found (then nothing may be applied)."""

    items: list[FaqItem]
    problems: list[KbProblem]


def check_upload(content: bytes, source: str) -> UploadCheck:
    """Validate an uploaded knowledge-base document as a whole."""
    if len(content) > MAX_UPLOAD_BYTES:
        return UploadCheck([], [KbProblem(source, None, "is larger than 2 MB")])
    result = parse_document(content, source)
    items = result.items
    if result.problems and all(p.entry_id is not None for p in result.problems):
        # The document is a readable list with bad entries: also check the good ones for what
        # Telegram would refuse, so the admin gets every problem in one reply.
        raw = yaml.safe_load(content)
        items = [
            item
            for index, entry in enumerate(raw)
            if (item := item_from_dict(entry, source, index)[0]) is not None
        ]
    problems = list(result.problems) + [
        KbProblem(source, item.id, message) for item in items for message in item_problems(item)
    ]
    if problems:
        return UploadCheck([], problems)
    if not result.items:
        return UploadCheck([], [KbProblem(source, None, "holds no entries")])
    return UploadCheck([with_clean_html(item) for item in result.items], [])


async def preview_import(
    session: AsyncSession, items: list[FaqItem]
) -> tuple[ImportSummary, ImportSummary]:
    """What importing `items` would do: (upsert only, replace mode), without changing anything."""
    existing = {
        row.slug: (entry_to_item(row), row.deleted_at is not None)
        for row in (await session.scalars(select(FaqEntry))).all()
    }
    added = changed = unchanged = 0
    for item in items:
        current = existing.get(item.id)
        if current is None or current[1]:
            added += 1
        elif current[0] == item:
            unchanged += 1
        else:
            changed += 1
    keep = {item.id for item in items}
    removed = sum(1 for slug, (_item, gone) in existing.items() if not gone and slug not in keep)
    return (
        ImportSummary(added, changed, unchanged, 0),
        ImportSummary(added, changed, unchanged, removed),
    )
