"""/faculty: a student gives (or clears) their faculty and course, if they wish."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import PrivateChat
from bot.services.pulse_profile import parse_study_place, set_study_place, study_place


def _usage() -> str:
    return _(
        "Send your faculty and, if you like, your course, for example:\n"
        "<code>/faculty Engineering, 2</code>\n"
        "To remove them: <code>/faculty -</code>\n"
        "This is optional. Surveys and reports show faculties only in groups of at least "
        "five students."
    )


async def faculty_command(message: Message, command: CommandObject, session: AsyncSession) -> None:
    assert message.from_user is not None
    user_id = message.from_user.id
    if not command.args:
        current = await study_place(session, user_id)
        if current is None:
            await message.answer(_("Please accept the consent first: /start"))
            return
        if current.faculty:
            shown = html.escape(current.faculty)
            if current.course:
                shown = _("{faculty}, course {course}").format(faculty=shown, course=current.course)
            await message.answer(
                _("Your faculty: {faculty}.").format(faculty=shown) + "\n\n" + _usage()
            )
        else:
            await message.answer(_usage())
        return
    place = parse_study_place(command.args)
    if place is None:
        await message.answer(_usage())
        return
    if not await set_study_place(session, user_id, place):
        await message.answer(_("Please accept the consent first: /start"))
        return
    if place.faculty is None:
        await message.answer(_("Your faculty and course are removed."))
    else:
        await message.answer(_("Saved, thank you."))


def create_router() -> Router:
    router = Router(name="faculty")
    router.message.filter(PrivateChat())
    router.message.register(faculty_command, Command("faculty"))
    return router
