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
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.common import admins_only
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.groups import ui
from bot.handlers.quiz.ui import needs_consent_text
from bot.services import groups
from bot.services.roles import ADMIN
from bot.services.users import Profile


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


async def group_action(
    callback: CallbackQuery,
    callback_data: ui.GroupAct,
    session: AsyncSession,
    language: str,
    profile: Profile | None,
    is_admin: bool = False,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    user_id, group_id, action = callback.from_user.id, callback_data.id, callback_data.action
    if action in ("events", "event", "hide", "show") and not is_admin:
        await callback.answer(admins_only(), show_alert=True)
        return
    match action:
        case "join":
            if profile is None or not profile.consent_current:
                await callback.answer(needs_consent_text(), show_alert=True)
                return
            result, added = await groups.join(session, group_id, user_id)
            if result == groups.Join.GONE:
                await callback.answer(_("This group is no longer available."), show_alert=True)
                return
            await callback.answer(
                _("You joined the group. Events added to your reminders: {count}.").format(
                    count=added
                )
                if result == groups.Join.DONE
                else _("You are already a member.")
            )
        case "leave":
            left = await groups.leave(session, group_id, user_id)
            await callback.answer(_("You left the group.") if left else _("You were not a member."))
        case "hide" | "show":
            await groups.set_published(session, group_id, action == "show")
            await callback.answer(_("Saved."))
        case "events" | "event":
            if action == "event":
                toggled = await groups.toggle_event(session, group_id, callback_data.event)
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
            found = await groups.attachable_events(session, group_id)
            text = _(
                "Events of this group (✅). Members of the group are reminded of the events "
                "attached to it, and so is everyone who joins later."
            )
            if not found:
                text = _("There are no upcoming events. Publish one with /new_event first.")
            markup = ui.events_keyboard(group_id, found, language)
            if action == "event":
                with contextlib.suppress(TelegramBadRequest):
                    await message.edit_text(text, reply_markup=markup)
            else:
                await message.answer(text, reply_markup=markup)
            return
        case _:
            await callback.answer(_("This button is out of date."), show_alert=True)
            return
    if not await show_group(message, session, group_id, user_id, language, is_admin, edit=True):
        await show_browse(message, session, language)


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


async def new_group_choice(
    callback: CallbackQuery,
    callback_data: ui.GroupNew,
    state: FSMContext,
    session: AsyncSession,
    language: str,
) -> None:
    message = callback.message
    data = await state.get_data()
    if not isinstance(message, Message) or not data:
        await callback.answer(_("This button is out of date."), show_alert=True)
        return
    step, field, value = data.get("step"), callback_data.field, callback_data.value
    if field == "interest" and step == "interest" and value in groups.INTERESTS:
        await state.update_data(interest=value, step="languages")
        await callback.answer()
        await message.answer(
            _("In which languages does the group meet?"), reply_markup=ui.languages_keyboard()
        )
    elif field == "languages" and step == "languages":
        await state.update_data(languages=value, step="title_kk")
        await callback.answer()
        await message.answer(_prompt("title_kk"))
    elif field == "confirm" and step == "confirm":
        await state.clear()
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        if value != "yes":
            await callback.answer()
            await message.answer(_("Cancelled. Nothing was saved."))
            return
        draft = _draft(data)
        if groups.draft_problems(draft):
            await callback.answer(
                _("This group could not be saved; nothing was published."), show_alert=True
            )
            return
        group = await groups.create_group(session, draft, callback.from_user.id)
        await callback.answer(_("Published."))
        await show_group(message, session, group.id, callback.from_user.id, language, True)
        return
    else:
        await callback.answer(_("This button is out of date."), show_alert=True)
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)


async def new_group_text(message: Message, state: FSMContext, language: str) -> None:
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
    draft = _draft(data)
    preview = "\n\n".join(
        [
            _("<b>Preview</b>"),
            f"<b>{html.quote(draft.title_kk)}</b>\n{html.quote(draft.description_kk)}",
            f"<b>{html.quote(draft.title_ru)}</b>\n{html.quote(draft.description_ru)}",
            ui.interest_name(draft.interest)
            + " · "
            + ", ".join(ui.language_name(c) for c in draft.languages)
            + f"\n💬 {html.quote(draft.chat_url)}",
        ]
    )
    await message.answer(preview, reply_markup=ui.confirm_keyboard(), disable_web_page_preview=True)


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
    router.callback_query.register(group_action, ui.GroupAct.filter())
    admins = Router(name="groups_admin")
    admins.message.filter(PrivateChat(), HasRole(ADMIN))
    admins.callback_query.filter(HasRole(ADMIN))
    admins.message.register(new_group_command, CommandText(), Command("new_group"))
    admins.message.register(cancel_command, Command("cancel"), StateFilter(NewGroup))
    admins.message.register(new_group_text, StateFilter(NewGroup.text), F.text)
    admins.callback_query.register(new_group_choice, ui.GroupNew.filter())
    refusals = Router(name="groups_refusals")
    refusals.message.register(refuse_command, PrivateChat(), CommandText(), Command("new_group"))
    router.include_routers(admins, refusals)
    return router
