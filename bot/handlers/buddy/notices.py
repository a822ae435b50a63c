"""What the buddy programme's messages to someone other than the sender say: proposals to
curators, introductions, "your buddy left", the 2-week check-in. The scheduler's buddy jobs
(`bot/scheduler/buddies.py`) send them through the notices port."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.buddy_models import BuddyNotice, BuddyPair, BuddyRequest, BuddyVolunteer
from bot.db.models import User
from bot.handlers.buddy import ui
from bot.scheduler.port import Notice
from bot.services import buddies


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


async def buddy_notice(session: AsyncSession, notice: BuddyNotice) -> Notice | None:
    rendered = await _render(session, notice)
    if rendered is None:
        return None
    return Notice(*rendered)


def checkin_notice(pair_id: int) -> Notice:
    return Notice(
        _(
            "🤝 Two weeks with your buddy: how does it go? Your answer is seen only by the "
            "programme's curators."
        ),
        ui.checkin_keyboard(pair_id),
    )
