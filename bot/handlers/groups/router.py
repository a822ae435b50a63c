"""/groups: students browse interest groups by interest and language and join them; admins
publish groups (/new_group), hide them and attach events to them."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.common import admins_only, at_step, drop_buttons, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.groups import ui
from bot.handlers.quiz.ui import needs_consent_text
from bot.services import groups
from bot.services.roles import ADMIN


class NewGroup(StatesGroup):
    text = State()  # FSM data "step" says which field is asked
    confirm = State()


TEXT_STEPS = ("title_kk", "title_ru", "description_kk", "description_ru", "chat_url")


def _prompt(step: str) -> str:
    prompts = {
        "title_kk": _("The group's name in Kazakh (up to {limit} characters).").format(
            limit=groups.TITLE_MAX
        ),
        "title_ru": _("The name in Russian."),
        "description_kk": _(
            "What the group does, in Kazakh: when it meets, who is welcome (up to {limit} "
            "characters)."
        ).format(limit=groups.DESCRIPTION_MAX),
        "description_ru": _("The same in Russian."),
        "chat_url": _("The link to the group's chat, e.g. https://t.me/+AbCdEf…"),
    }
    return prompts[step] + "\n" + _("/cancel stops without saving.")


async def show_browse(
    message: Message,
    session: AsyncSession,
    language: str,
    interest: str = "",
    lang: str = "",
    *,
    edit: bool = False,
) -> None:
    found = await groups.browse(session, interest or None, lang or None)
    counts = await groups.interest_counts(session)
    text = ui.browse_text(interest, lang, found, language)
    markup = ui.browse_keyboard(interest, lang, found, counts, language)
    if edit:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
            return
    await message.answer(text, reply_markup=markup)


async def groups_command(message: Message, session: AsyncSession, language: str) -> None:
    await show_browse(message, session, language)


async def browse_button(
    callback: CallbackQuery, callback_data: ui.GroupBrowse, session: AsyncSession, language: str
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_browse(
            callback.message,
            session,
            language,
            callback_data.interest if callback_data.interest in groups.INTERESTS else "",
            callback_data.lang if callback_data.lang in groups.LANGUAGES else "",
            edit=True,
        )


async def show_group(
    message: Message,
    session: AsyncSession,
    group_id: int,
    user_id: int,
    language: str,
    is_admin: bool,
    *,
    edit: bool = False,
) -> bool:
    group = await groups.get(session, group_id)
    if group is None or (group.status != groups.PUBLISHED and not is_admin):
        return False
    joined = await groups.is_member(session, group_id, user_id)
    text = ui.group_text(
        group,
        await groups.members(session, group_id),
        await groups.group_events(session, group_id),
        joined,
        language,
    )
    markup = ui.group_keyboard(group, joined, is_admin)
    if edit:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup, disable_web_page_preview=True)
            return True
    await message.answer(text, reply_markup=markup, disable_web_page_preview=True)
    return True


async def open_group(
    callback: CallbackQuery,
    callback_data: ui.GroupOpen,
    session: AsyncSession,
    language: str,
    is_admin: bool = False,
) -> None:
    if not isinstance(callback.message, Message):
        await callback.answer()
        return
    shown = await show_group(
        callback.message, session, callback_data.id, callback.from_user.id, language, is_admin
    )
    if shown:
        await callback.answer()
    else:
        await callback.answer(_("This group is no longer available."), show_alert=True)


async def _group_message(callback: CallbackQuery) -> Message | None:
    if not isinstance(callback.message, Message):
        await callback.answer()
        return None
    return callback.message


async def _show_again(message: Message, group_id: int, ctx: Ctx) -> None:
    """The group's card after a change; the list when the group is gone or hidden."""
    shown = await show_group(
        message, ctx.session, group_id, ctx.user_id, ctx.language, ctx.is_admin, edit=True
    )
    if not shown:
        await show_browse(message, ctx.session, ctx.language)


async def join_group(callback: CallbackQuery, callback_data: ui.GroupAct, ctx: Ctx) -> None:
    if not (message := await _group_message(callback)):
        return
    if ctx.profile is None or not ctx.profile.consent_current:
        await callback.answer(needs_consent_text(), show_alert=True)
        return
    result, added = await groups.join(ctx.session, callback_data.id, ctx.user_id)
    if result == groups.Join.GONE:
        await callback.answer(_("This group is no longer available."), show_alert=True)
        return
    await callback.answer(
        _("You joined the group. Events added to your reminders: {count}.").format(count=added)
        if result == groups.Join.DONE
        else _("You are already a member.")
    )
    await _show_again(message, callback_data.id, ctx)


async def leave_group(callback: CallbackQuery, callback_data: ui.GroupAct, ctx: Ctx) -> None:
    if not (message := await _group_message(callback)):
        return
    left = await groups.leave(ctx.session, callback_data.id, ctx.user_id)
    await callback.answer(_("You left the group.") if left else _("You were not a member."))
    await _show_again(message, callback_data.id, ctx)


async def publish_toggled(callback: CallbackQuery, callback_data: ui.GroupAct, ctx: Ctx) -> None:
    """An admin hides a group from students ("hide") or shows it again ("show")."""
    if not (message := await _group_message(callback)):
        return
    await groups.set_published(ctx.session, callback_data.id, callback_data.action == "show")
    await callback.answer(_("Saved."))
    await _show_again(message, callback_data.id, ctx)


async def group_events(callback: CallbackQuery, callback_data: ui.GroupAct, ctx: Ctx) -> None:
    """The events an admin may attach to a group; "event" toggles one of them in place."""
    if not (message := await _group_message(callback)):
        return
    group_id = callback_data.id
    if callback_data.action == "event":
        toggled = await groups.toggle_event(ctx.session, group_id, callback_data.event)
        if toggled is None:
            await callback.answer(_("This event no longer exists."), show_alert=True)
        else:
            attached, added = toggled
            await callback.answer(
                _("Attached; members newly subscribed: {count}.").format(count=added)
                if attached
                else _("Detached; members keep the reminders they have.")
            )
    else:
        await callback.answer()
    found = await groups.attachable_events(ctx.session, group_id)
    text = _(
        "Events of this group (✅). Members of the group are reminded of the events "
        "attached to it, and so is everyone who joins later."
    )
    if not found:
        text = _("There are no upcoming events. Publish one with /new_event first.")
    markup = ui.events_keyboard(group_id, found, ctx.language)
    if callback_data.action == "event":
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def refuse_button(callback: CallbackQuery) -> None:
    await callback.answer(admins_only(), show_alert=True)


# --- the admin's new-group dialog --------------------------------------------------------------


async def new_group_command(message: Message, state: FSMContext) -> None:
    await state.set_state(NewGroup.text)
    await state.set_data({"step": "interest"})
    await message.answer(
        _("A new interest group. What is it about?") + "\n" + _("/cancel stops without saving."),
        reply_markup=ui.interests_keyboard(),
    )


def _draft(data: dict[str, object]) -> groups.GroupDraft:
    return groups.GroupDraft(
        interest=str(data.get("interest", "")),
        languages=tuple(str(data.get("languages", "")).split(",")),
        title_kk=str(data.get("title_kk", "")),
        title_ru=str(data.get("title_ru", "")),
        description_kk=str(data.get("description_kk", "")),
        description_ru=str(data.get("description_ru", "")),
        chat_url=str(data.get("chat_url", "")),
    )


async def _close_step(callback: CallbackQuery, message: Message) -> None:
    await callback.answer()
    await drop_buttons(message)


async def interest_chosen(callback: CallbackQuery, callback_data: ui.GroupNew, ctx: Ctx) -> None:
    if callback_data.value not in groups.INTERESTS:
        await stale_button(callback)
        return
    if message := await at_step(callback, ctx.state, "interest"):
        await ctx.state.update_data(interest=callback_data.value, step="languages")
        await _close_step(callback, message)
        await message.answer(
            _("In which languages does the group meet?"), reply_markup=ui.languages_keyboard()
        )


async def languages_chosen(callback: CallbackQuery, callback_data: ui.GroupNew, ctx: Ctx) -> None:
    if message := await at_step(callback, ctx.state, "languages"):
        await ctx.state.update_data(languages=callback_data.value, step="title_kk")
        await _close_step(callback, message)
        await message.answer(_prompt("title_kk"))


async def confirm_chosen(callback: CallbackQuery, callback_data: ui.GroupNew, ctx: Ctx) -> None:
    if not (message := await at_step(callback, ctx.state, "confirm")):
        return
    draft = _draft(await ctx.state.get_data())
    await ctx.state.clear()
    await drop_buttons(message)
    if callback_data.value != "yes":
        await callback.answer()
        await message.answer(_("Cancelled. Nothing was saved."))
        return
    if groups.draft_problems(draft):
        await callback.answer(
            _("This group could not be saved; nothing was published."), show_alert=True
        )
        return
    group = await groups.create_group(ctx.session, draft, ctx.user_id)
    await callback.answer(_("Published."))
    await show_group(message, ctx.session, group.id, ctx.user_id, ctx.language, True)


async def new_group_text(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    step = str(data.get("step"))
    text = " ".join((message.text or "").split())
    if step not in TEXT_STEPS:
        await message.answer(_("Please send text, use the buttons above, or send /cancel."))
        return
    limit = groups.TITLE_MAX if step.startswith("title") else groups.DESCRIPTION_MAX
    if step == "chat_url" and not groups.valid_chat_url(text):
        await message.answer(
            _("That is not a link students can open; it must start with https://.")
            + "\n"
            + _prompt(step)
        )
        return
    if not text or len(text) > limit:
        await message.answer(
            _("Send 1 to {limit} characters.").format(limit=limit) + "\n" + _prompt(step)
        )
        return
    data[step] = text
    following = TEXT_STEPS.index(step) + 1
    if following < len(TEXT_STEPS):
        data["step"] = TEXT_STEPS[following]
        await state.set_data(data)
        await message.answer(_prompt(TEXT_STEPS[following]))
        return
    data["step"] = "confirm"
    await state.set_data(data)
    await state.set_state(NewGroup.confirm)
    await message.answer(
        ui.preview_text(_draft(data)),
        reply_markup=ui.confirm_keyboard(),
        disable_web_page_preview=True,
    )


async def cancel_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def refuse_command(message: Message) -> None:
    await message.answer(admins_only())


def create_router() -> Router:
    router = Router(name="groups")
    router.message.register(groups_command, PrivateChat(), CommandText(), Command("groups"))
    router.callback_query.register(browse_button, ui.GroupBrowse.filter())
    router.callback_query.register(open_group, ui.GroupOpen.filter())
    students = ((join_group, "join"), (leave_group, "leave"))
    for handler, action in students:
        router.callback_query.register(handler, ui.GroupAct.filter(F.action == action))
    admin_actions = ((publish_toggled, ("hide", "show")), (group_events, ("events", "event")))
    for admin_handler, names in admin_actions:
        router.callback_query.register(
            admin_handler, ui.GroupAct.filter(F.action.in_(names)), HasRole(ADMIN)
        )
        router.callback_query.register(refuse_button, ui.GroupAct.filter(F.action.in_(names)))
    router.callback_query.register(stale_button, ui.GroupAct.filter())
    admins = Router(name="groups_admin")
    admins.message.filter(PrivateChat(), HasRole(ADMIN))
    admins.callback_query.filter(HasRole(ADMIN))
    admins.message.register(new_group_command, CommandText(), Command("new_group"))
    admins.message.register(cancel_command, Command("cancel"), StateFilter(NewGroup))
    admins.message.register(new_group_text, StateFilter(NewGroup.text), F.text)
    steps = (
        (interest_chosen, "interest"),
        (languages_chosen, "languages"),
        (confirm_chosen, "confirm"),
    )
    for step, field in steps:
        admins.callback_query.register(step, ui.GroupNew.filter(F.field == field))
    admins.callback_query.register(stale_button, ui.GroupNew.filter())
    refusals = Router(name="groups_refusals")
    refusals.message.register(refuse_command, PrivateChat(), CommandText(), Command("new_group"))
    router.include_routers(admins, refusals)
    return router
