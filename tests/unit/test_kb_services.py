"""The knowledge-base services without Telegram: Telegram HTML checks, replicas noticing
changes through the revision counter, and the purge of old deletions."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.db.models import FaqEntry, utcnow
from bot.factory import App, create_app
from bot.handlers.entry_points import render_entry
from bot.services import kb_admin
from bot.services.knowledge import Entry
from knowledge_base.schema import FaqItem


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("5 < 6 & 7 > 3", "5 &lt; 6 &amp; 7 &gt; 3"),
        ("<b>Q&A</b> &amp; <i>more</i>", "<b>Q&amp;A</b> &amp; <i>more</i>"),
        ('<a href="https://example.org">site</a>', '<a href="https://example.org">site</a>'),
        ("<blockquote>цитата</blockquote>", "<blockquote>цитата</blockquote>"),
        ('<span class="tg-spoiler">x</span> &#1049;', '<span class="tg-spoiler">x</span> &#1049;'),
        ("&#0; &#x110000; &nbsp;", "&amp;#0; &amp;#x110000; &amp;nbsp;"),
    ],
)
def test_stray_characters_are_escaped_and_telegram_tags_kept(text: str, cleaned: str) -> None:
    assert kb_admin.clean_html(text) == (cleaned, None)


@pytest.mark.parametrize(
    ("text", "code", "tag"),
    [
        ("line<br>line", "unsupported_tag", "br"),
        ("<b>bold", "unclosed", "b"),
        ("<b><i>x</b></i>", "unexpected_close", "b"),
        ("text</i>", "unexpected_close", "i"),
        ('<a onclick="x()">y</a>', "bad_attribute", "a"),
        ('<a href="javascript:alert(1)">y</a>', "bad_attribute", "a"),
        ('<span class="red">y</span>', "bad_attribute", "span"),
        ("<script>alert(1)</script>", "unsupported_tag", "script"),
    ],
)
def test_html_telegram_would_refuse_is_a_problem(text: str, code: str, tag: str) -> None:
    _text, problem = kb_admin.clean_html(text)
    assert problem is not None and (problem.code, problem.tag) == (code, tag)


def test_rendered_length_is_never_below_what_students_get() -> None:
    item = FaqItem(
        id="x",
        category="c",
        question={"kk": "Сұрақ <қалай> & неге?", "ru": "Вопрос?"},
        answer={"kk": "Жауап " * 500, "ru": "Ответ 😀" * 300},
        links=("https://example.org/a&b",),
    )
    for lang in ("kk", "ru"):
        text = render_entry(Entry(1, item), lang)
        assert kb_admin.rendered_length(item, lang) >= len(text.encode("utf-16-le")) // 2


async def test_another_replica_picks_up_a_change(app: App, settings: Settings) -> None:
    other = create_app(settings)
    try:
        await other.kb.reload(other.session_factory)
        assert not await other.kb.refresh(other.session_factory)  # nothing changed yet
        entry = app.kb.by_slug("nauryz-dates")
        assert entry is not None
        async with app.session_factory() as session, session.begin():
            current = await kb_admin.get_entry(session, entry.pk)
            assert current is not None
            answer = dict(current.item.answer, ru="Наурыз: 21, 22 и 23 марта.")
            await kb_admin.update_entry(
                session, entry.pk, current.version, replace(current.item, answer=answer), 9001
            )
        watcher = asyncio.create_task(
            kb_admin.watch_store(other.kb, other.session_factory, interval=0.01)
        )
        try:
            for _ in range(500):
                found = other.kb.by_slug("nauryz-dates")
                if found and found.answer("ru") == "Наурыз: 21, 22 и 23 марта.":
                    break
                await asyncio.sleep(0.01)
        finally:
            watcher.cancel()
        found = other.kb.by_slug("nauryz-dates")
        assert found is not None and found.answer("ru") == "Наурыз: 21, 22 и 23 марта."
    finally:
        await other.aclose()


async def test_deleted_entries_are_purged_after_thirty_days(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        rows = {r.slug: r for r in (await session.scalars(select(FaqEntry))).all()}
        await kb_admin.delete_entry(session, rows["textbook"].pk, 1, 9001)
        await kb_admin.delete_entry(session, rows["unity-club"].pk, 1, 9001)
        await session.execute(
            update(FaqEntry)
            .where(FaqEntry.slug == "textbook")
            .values(deleted_at=utcnow() - timedelta(days=31))
        )
        await session.execute(
            update(FaqEntry)
            .where(FaqEntry.slug == "unity-club")
            .values(deleted_at=utcnow() - timedelta(days=29))
        )
    async with app.session_factory() as session, session.begin():
        assert await kb_admin.purge_deleted(session) == 1
    async with app.session_factory() as session:
        slugs = set((await session.scalars(select(FaqEntry.slug))).all())
    assert "textbook" not in slugs and "unity-club" in slugs


async def test_a_deleted_entry_cannot_be_edited_but_can_be_restored(app: App) -> None:
    entry = app.kb.by_slug("textbook")
    assert entry is not None
    async with app.session_factory() as session, session.begin():
        deleted = await kb_admin.delete_entry(session, entry.pk, 1, 9001)
        with pytest.raises(kb_admin.EntryGone):
            await kb_admin.update_entry(session, entry.pk, deleted.version, entry.item, 9001)
        restored = await kb_admin.restore_version(session, entry.pk, 1, 9001)
    assert not restored.deleted and restored.version == 3
