"""Messages of the buddy programme that go to someone other than the sender: proposals to
curators, introductions, "your buddy left", the 2-week check-in. They are written as notices in
the transaction that causes them and sent by a job once it has committed; a volunteer who
blocked the bot is taken out of the programme and their newcomer gets someone else."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now
from bot.db.buddy_models import BuddyNotice, BuddyPair, BuddyRequest, BuddyVolunteer
from bot.db.models import User
from bot.handlers.buddy import ui
from bot.scheduler import JobContext, Planner, job_context
from bot.services import buddies
from bot.services.roles import CURATOR
from bot.services.users import person_language

log = logging.getLogger(__name__)

DELIVERY_JOB = "buddy-notices"


def deliver_soon(planner: Planner | None) -> None:
    """Send the notices written so far, right away (call after the commit)."""
    if planner is None:
        return
    planner.scheduler.add_job(
        send_notices, "date", run_date=now(), id=DELIVERY_JOB, replace_existing=True
    )


def schedule_checkin(planner: Planner | None, pair_id: int, after: int) -> None:
    if planner is None:
        return
    planner.scheduler.add_job(
        send_checkin,
        "date",
        run_date=now() + timedelta(seconds=after),
        args=[pair_id],
        id=f"buddy-checkin:{pair_id}",
        replace_existing=True,
    )


def curators(ctx: JobContext) -> list[int]:
    return sorted(ctx.roles.members(CURATOR))


async def _name(session: AsyncSession, user_id: int | None) -> str:
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None:
        return _("a student who left")
    name = user.first_name or ""
    return f"{name} (@{user.username})" if user.username else name or str(user.id)


async def _render(
    session: AsyncSession, notice: BuddyNotice
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    pair = await session.get(BuddyPair, notice.pair_id) if notice.pair_id else None
    if pair is None:
        return None
    if notice.kind == "proposal":
        if pair.status != "proposed":
            return None
        request = await session.get(BuddyRequest, pair.request_id)
        volunteer = (
            await session.get(BuddyVolunteer, pair.volunteer_id) if pair.volunteer_id else None
        )
        if request is None or volunteer is None:
            return None
        # Newcomers the volunteer already has or is proposed for, besides this one.
        load = max((await buddies.load(session)).get(volunteer.user_id, 0) - 1, 0)
        text = _(
            "🤝 <b>Buddy match proposed</b> #{id}\n\n"
            "Newcomer: {newcomer}, {faculty}, {origin}; languages: {languages}.\n"
            "Volunteer: {volunteer}, {v_faculty}; languages: {v_languages}; interests: "
            "{interests}; newcomers now: {load}.\n\n"
            "Approve to introduce them to each other."
        ).format(
            id=pair.id,
            newcomer=html.quote(await _name(session, pair.newcomer_id)),
            faculty=html.quote(request.faculty),
            origin=ui.origin_name(request.origin),
            languages=ui.languages_text(request.languages),
            volunteer=html.quote(await _name(session, pair.volunteer_id)),
            v_faculty=html.quote(volunteer.faculty),
            v_languages=ui.languages_text(volunteer.languages),
            interests=html.quote(volunteer.interests or "—"),
            load=load,
        )
        return text, ui.decide_keyboard(pair.id)
    if notice.kind == "introduction":
        if pair.status != "active":
            return None
        views = [v for v in await buddies.my_pairs(session, notice.user_id) if v.pair.id == pair.id]
        if not views:
            return None
        view = views[0]
        contact = (
            html.quote(view.other_contact)
            if view.other_contact
            else _("not shared; ask a curator to put you in touch")
        )
        if view.role == "newcomer":
            text = _(
                "🤝 <b>Meet your buddy</b>: {name}, {faculty}.\nContact: {contact}\n\n"
                "Write to them: they are glad to help with the campus, the city and where to "
                "turn. In two weeks I will ask how it goes. /buddy shows this again."
            )
        else:
            text = _(
                "🤝 <b>Meet the newcomer you will help</b>: {name}, {faculty}.\nContact: "
                "{contact}\n\nSay hello first: it is easier for them. In two weeks I will ask how "
                "it goes. /buddy shows this again."
            )
        return (
            text.format(
                name=html.quote(view.other_name or "—"),
                faculty=html.quote(view.other_faculty or "—"),
                contact=contact,
            ),
            None,
        )
    if notice.kind == "ended":
        return (
            _(
                "Your buddy pairing has been ended by the other side. Thank you for taking part! "
                "/buddy lets you ask for a new buddy or offer your help again."
            ),
            None,
        )
    if notice.kind == "left":
        return (
            _(
                "Your buddy has left the programme, so their contact is no longer shown to you. "
                "Please do not keep their details. /buddy lets you ask for a new buddy."
            ),
            None,
        )
    if notice.kind == "unreachable":
        return (
            _(
                "Your buddy can no longer be reached through the bot, so the pairing has ended. "
                "I am looking for another buddy for you; a curator will confirm."
            ),
            None,
        )
    return None


async def send_notices() -> None:
    """Job: send every pending notice, each at most once."""
    ctx = job_context()
    if ctx is None:
        return
    for _round in range(5):  # a blocked volunteer writes new notices: go round again
        async with ctx.session_factory() as session, session.begin():
            pending = await buddies.claim_notices(session)
        if not pending:
            return
        for notice in pending:
            await _deliver(ctx, notice)


async def _deliver(ctx: JobContext, notice: BuddyNotice) -> None:
    async with ctx.session_factory() as session:
        language = await person_language(session, notice.user_id, ctx.settings.default_language)
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            rendered = await _render(session, notice)
    if rendered is None:
        return
    text, markup = rendered
    try:
        await ctx.bot.send_message(notice.user_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        await _blocked(ctx, notice.user_id)
    except TelegramAPIError as exc:
        log.warning("buddy notice %s to %s not delivered: %s", notice.kind, notice.user_id, exc)


async def _blocked(ctx: JobContext, user_id: int) -> None:
    """Someone blocked the bot: a volunteer leaves the programme (their newcomers get someone
    else); for anyone else it is logged."""
    async with ctx.session_factory() as session, session.begin():
        if await session.get(BuddyVolunteer, user_id) is None:
            log.info("buddy notice: %s blocked the bot", user_id)
            return
        affected = await buddies.volunteer_unreachable(session, user_id, curators(ctx))
    log.info("buddy volunteer %s blocked the bot; newcomers affected: %s", user_id, affected)


async def send_checkin(pair_id: int) -> None:
    """Job: BUDDY_CHECKIN_AFTER after the approval, ask both sides how it goes."""
    ctx = job_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session, session.begin():
        pair = await buddies.claim_checkin(session, pair_id)
    if pair is None:
        return
    for person in (pair.newcomer_id, pair.volunteer_id):
        if person is None:
            continue
        async with ctx.session_factory() as session:
            language = await person_language(session, person, ctx.settings.default_language)
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            text = _(
                "🤝 Two weeks with your buddy: how does it go? Your answer is seen only by the "
                "programme's curators."
            )
            markup = ui.checkin_keyboard(pair.id)
        try:
            await ctx.bot.send_message(person, text, reply_markup=markup)
        except TelegramForbiddenError:
            await _blocked(ctx, person)
        except TelegramAPIError as exc:
            log.warning("buddy check-in %s to %s not delivered: %s", pair.id, person, exc)
    await send_notices()
