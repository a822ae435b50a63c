"""The admins' knowledge-base use cases on a real SQLite file: answering an unanswered question
(attach or new entry), the lexicon's all-or-nothing word adding, and where /kb_review goes on."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.db.models import KbRevision, QuestionLog
from bot.factory import App
from bot.services import kb_admin, kb_curation, kb_review, lexicon, unanswered
from bot.services.questions import UNMATCHED

ADMIN_ID = 9001
QUESTION = "автобус билеті қайда сатылады"


async def ask(app: App, text: str = QUESTION) -> int:
    """An unanswered question in the log; returns its row id."""
    async with app.session_factory() as session, session.begin():
        row = QuestionLog(
            text=text, language="kk", intent="faq", intent_confidence=0.2, outcome=UNMATCHED
        )
        session.add(row)
        await session.flush()
        return row.id


async def first_entry_pk(app: App) -> int:
    async with app.session_factory() as session:
        found = await kb_admin.search_entries(session, "", limit=1)
        if found:
            return found[0].pk
        categories = await kb_admin.categories(session)
        return (await kb_admin.entries_in_category(session, categories[0][0]))[0].pk


async def waiting(app: App) -> int:
    async with app.session_factory() as session:
        return len(await unanswered.unanswered_groups(session))


async def revision(app: App) -> int:
    async with app.session_factory() as session:
        return int(await session.scalar(select(KbRevision.revision)) or 0)


async def test_an_attached_question_leaves_the_list_once(app: App) -> None:
    row, pk = await ask(app), await first_entry_pk(app)
    async with app.session_factory() as session, session.begin():
        attached = await kb_curation.attach_question(session, row, pk, ADMIN_ID)
    assert attached is not None and attached.entry is not None
    assert QUESTION in attached.entry.item.alternatives["kk"]
    assert await waiting(app) == 0
    # A second admin pressing the same button a moment later finds nothing left to take.
    async with app.session_factory() as session, session.begin():
        assert await kb_curation.attach_question(session, row, pk, ADMIN_ID) is None


async def test_attaching_to_a_deleted_entry_keeps_the_question_waiting(app: App) -> None:
    row, pk = await ask(app), await first_entry_pk(app)
    async with app.session_factory() as session, session.begin():
        entry = await kb_admin.get_entry(session, pk)
        assert entry is not None
        await kb_admin.delete_entry(session, pk, entry.version, ADMIN_ID)
    async with app.session_factory() as session, session.begin():
        attached = await kb_curation.attach_question(session, row, pk, ADMIN_ID)
    assert attached is not None and attached.entry is None
    assert await waiting(app) == 1


async def test_an_entry_made_from_a_question_takes_it_off_the_list(app: App) -> None:
    row, pk = await ask(app), await first_entry_pk(app)
    async with app.session_factory() as session:
        model = await kb_admin.get_entry(session, pk)
    assert model is not None
    item = replace(model.item, id="", question={"kk": QUESTION, "ru": "Где купить билет?"})
    async with app.session_factory() as session, session.begin():
        entry = await kb_curation.add_entry(session, item, ADMIN_ID, answering=row)
    assert entry.item.question["kk"] == QUESTION
    assert await waiting(app) == 0


async def test_words_that_are_all_refused_change_nothing(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        group = await lexicon.create_group(session, "жатақхана, общежитие", ADMIN_ID)
    before = await revision(app)
    async with app.session_factory() as session, session.begin():
        result = await lexicon.add_words(session, group.id, group.words[0], ADMIN_ID)
    assert result.group is None and result.added == []
    assert [r.reason for r in result.refused] == [lexicon.ALREADY]
    # No new revision: no process reloads its search index for nothing.
    assert await revision(app) == before


async def test_the_next_review_card_skips_the_entry_just_checked(app: App) -> None:
    today = kb_review.today()
    async with app.session_factory() as session:
        entries = await kb_review.review_list(session, today)
    assert len(entries) >= 2
    async with app.session_factory() as session, session.begin():
        entries_now, position = await kb_review.card_after(session, entries[0].pk, 0, today)
    # Not marked, the entry is still first: the next card is the one after it.
    assert entries_now[0].pk == entries[0].pk and position == 1
