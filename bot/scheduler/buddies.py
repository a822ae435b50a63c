"""The buddy programme's jobs: notices written in the transaction that causes them are sent
once it has committed, and the check-in goes out BUDDY_CHECKIN_AFTER after an approval. A
volunteer who blocked the bot is taken out of the programme and their newcomer gets someone
else. The texts come from the notices port."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError

from bot.db.buddy_models import BuddyNotice, BuddyVolunteer
from bot.scheduler.context import JobContext, job_context
from bot.services import buddies
from bot.services.roles import CURATOR
from bot.services.users import person_language

log = logging.getLogger(__name__)


def curators(ctx: JobContext) -> list[int]:
    return sorted(ctx.roles.members(CURATOR))


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
            rendered = await ctx.notices.buddy_notice(session, notice)
    if rendered is None:
        return
    try:
        await ctx.bot.send_message(notice.user_id, rendered.text, reply_markup=rendered.markup)
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
            notice = ctx.notices.buddy_checkin(pair.id)
        try:
            await ctx.bot.send_message(person, notice.text, reply_markup=notice.markup)
        except TelegramForbiddenError:
            await _blocked(ctx, person)
        except TelegramAPIError as exc:
            log.warning("buddy check-in %s to %s not delivered: %s", pair.id, person, exc)
    await send_notices()
