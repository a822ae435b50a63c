"""Where people are in a dialog survives a restart: a half-filled form, a curator's case."""

from __future__ import annotations

from aiogram import Bot
from sqlalchemy import delete, func, select

from bot.db.models import Consultation, FsmState
from bot.factory import create_dispatcher
from bot.services.users import delete_user_data
from tests.consult_support import (
    CURATOR_ID,
    STUDENT_ID,
    consent,
    consult_settings,
    driver,
    make_app,
    request_consultation,
    texts_to,
)
from tests.fakes.recording import RecordingSession


async def test_a_half_filled_form_and_a_curators_case_survive_a_restart(
    db_url: str, recording: RecordingSession, bot: Bot
) -> None:
    settings = consult_settings(db_url)
    app = await make_app(settings)
    dp = create_dispatcher(app)
    student = driver(dp, bot, recording, STUDENT_ID, "Aigerim")
    curator = driver(dp, bot, recording, CURATOR_ID, "Dana")
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    # A second student stops half-way through the form.
    other = driver(dp, bot, recording, 5077, "Ivan")
    await consent(other, "Русский")
    await other.send_command("/consult")
    await other.click("⚖️")
    await other.send("В общежитии")
    await app.aclose()

    # The bot process starts again over the same store.
    app = await make_app(settings)
    app.start_scheduler(bot)
    dp = create_dispatcher(app)
    student = driver(dp, bot, recording, STUDENT_ID, "Aigerim")
    curator = driver(dp, bot, recording, CURATOR_ID, "Dana")
    other = driver(dp, bot, recording, 5077, "Ivan")

    await curator.send("Сәлеметсіз бе, мен тыңдап тұрмын")
    assert "мен тыңдап тұрмын" in texts_to(recording, STUDENT_ID)[-1]

    await other.click("⏭")  # the form's next question is still waiting for an answer
    await other.send("Да, уже было")
    await other.send("Соседи по комнате смеются над моим акцентом")
    await other.click("🕶")
    await other.click("📨")
    async with app.session_factory() as session:
        mine = await session.scalar(select(Consultation).where(Consultation.student_id == 5077))
    assert mine is not None and mine.answers[0]["a"] == "В общежитии"
    await app.aclose()


async def test_a_students_drafts_are_deleted_with_their_data(
    db_url: str, recording: RecordingSession, bot: Bot
) -> None:
    settings = consult_settings(db_url)
    app = await make_app(settings)
    dp = create_dispatcher(app)
    student = driver(dp, bot, recording, STUDENT_ID, "Aigerim")
    await consent(student)
    await student.send_command("/consult")
    await student.click("⚖️")
    await student.send("Жатақханада")
    async with app.session_factory() as session, session.begin():
        assert await session.scalar(select(func.count()).where(FsmState.user_id == STUDENT_ID))
        await delete_user_data(session, STUDENT_ID)
    async with app.session_factory() as session:
        assert not await session.scalar(select(func.count()).where(FsmState.user_id == STUDENT_ID))
    await app.aclose()


async def test_case_numbers_are_never_handed_out_twice(db_url: str) -> None:
    settings = consult_settings(db_url)
    app = await make_app(settings)
    async with app.session_factory() as session, session.begin():
        first = Consultation(student_id=1, language="kk", area="other", status="new")
        session.add(first)
        await session.flush()
        first_id = first.id
    async with app.session_factory() as session, session.begin():
        await session.execute(delete(Consultation).where(Consultation.id == first_id))
    async with app.session_factory() as session, session.begin():
        second = Consultation(student_id=2, language="kk", area="other", status="new")
        session.add(second)
        await session.flush()
        assert second.id != first_id
    await app.aclose()
