"""Admins' event dialogs: /new_event (field by field, a preview, publish), and editing or
cancelling a published event; followers are told and reminders re-armed once it commits."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, utcnow
from bot.db.unit_of_work import after_commit
from bot.handlers.common import stale_button
from bot.handlers.events.ui import (
    TIME_EXAMPLE,
    DraftAct,
    EventAdmin,
    EventDialog,
    event_card,
    kind_label,
    stale_event,
)
from bot.scheduler import Planner
from bot.scheduler.outreach import (
    schedule_event,
    tell_followers,
    tell_kind_subscribers,
    unschedule_event,
)
from bot.services import events
from bot.services.events import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    KINDS,
    PLACE_MAX,
    TITLE_MAX,
    EventDraft,
    EventTimeError,
    Reply,
    TimeProblem,
)

# ----- admins: creating -----


def _dialog_keyboard(*extra: tuple[str, DraftAct]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, data in extra:
        builder.button(text=label, callback_data=data)
    builder.button(text=_("✖️ Cancel"), callback_data=DraftAct(action="discard"))
    builder.adjust(1)
    return builder.as_markup()


async def new_event(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(EventDialog.kind)
    builder = InlineKeyboardBuilder()
    for kind in KINDS:
        builder.button(text=kind_label(kind), callback_data=DraftAct(action="kind", value=kind))
    builder.button(text=_("✖️ Cancel"), callback_data=DraftAct(action="discard"))
    builder.adjust(1)
    await message.answer(
        _("<b>New event.</b> What kind of event is it?"), reply_markup=builder.as_markup()
    )


PROMPTS = {
    "title_kk": lambda: _("Title in Kazakh (up to {n} characters):").format(n=TITLE_MAX),
    "title_ru": lambda: _("Title in Russian (up to {n} characters):").format(n=TITLE_MAX),
    "description_kk": lambda: _("Description in Kazakh (up to {n} characters):").format(
        n=DESCRIPTION_MAX
    ),
    "description_ru": lambda: _("Description in Russian (up to {n} characters):").format(
        n=DESCRIPTION_MAX
    ),
    "starts_at": lambda: _(
        "Start time, in Almaty time, as DD.MM.YYYY HH:MM (for example {example}):"
    ).format(example=TIME_EXAMPLE),
    "place": lambda: _("Place (address or room) or a link for an online event:"),
    "capacity": lambda: _("How many places? Write a number, or press «No limit»."),
}
LIMITS = {
    "title_kk": TITLE_MAX,
    "title_ru": TITLE_MAX,
    "description_kk": DESCRIPTION_MAX,
    "description_ru": DESCRIPTION_MAX,
    "place": PLACE_MAX,
}
ORDER = (
    "title_kk",
    "title_ru",
    "description_kk",
    "description_ru",
    "starts_at",
    "place",
    "capacity",
)


async def _ask(message: Message, state: FSMContext, field: str) -> None:
    await state.set_state(getattr(EventDialog, field))
    extra: tuple[tuple[str, DraftAct], ...] = ()
    if field == "capacity":
        extra = ((_("∞ No limit"), DraftAct(action="nocap")),)
    await message.answer(PROMPTS[field](), reply_markup=_dialog_keyboard(*extra))


async def draft_action(
    callback: CallbackQuery,
    callback_data: DraftAct,
    state: FSMContext,
    session: AsyncSession,
    planner: Planner,
) -> None:
    message = callback.message
    current = await state.get_state()
    action = callback_data.action
    if action == "discard":
        await state.clear()
        await callback.answer(_("Cancelled; nothing was saved."))
        if isinstance(message, Message):
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_reply_markup(reply_markup=None)
        return
    if not isinstance(message, Message):
        await callback.answer()
        return
    if action == "kind" and current == EventDialog.kind.state and callback_data.value in KINDS:
        await state.update_data(kind=callback_data.value)
        await callback.answer()
        await _ask(message, state, "title_kk")
        return
    if action == "nocap" and current == EventDialog.capacity.state:
        await callback.answer()
        await state.update_data(capacity=None)
        await _preview(message, state)
        return
    if action == "publish" and current == EventDialog.confirm.state:
        data = await state.get_data()
        await state.clear()
        draft = EventDraft(
            kind=data["kind"],
            title_kk=data["title_kk"],
            title_ru=data["title_ru"],
            description_kk=data["description_kk"],
            description_ru=data["description_ru"],
            starts_at=events.aware(_from_iso(data["starts_at"])),
            place=data["place"],
            capacity=data.get("capacity"),
        )
        if draft.starts_at <= utcnow():
            await callback.answer()
            await message.answer(
                _("The start time has passed while you were writing. Start again: /new_event")
            )
            return
        event = await events.create_event(session, draft, callback.from_user.id)
        # After the commit: the jobs read the event from their own sessions.
        event_id, starts_at = event.id, event.starts_at
        after_commit(session, lambda: schedule_event(planner, event_id, starts_at))
        after_commit(session, lambda: tell_kind_subscribers(planner, event_id))
        await callback.answer(_("Published."))
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _(
                "✅ Published: event #{id}. Students subscribed to this kind are being told. "
                "Open /events to see it."
            ).format(id=event.id)
        )
        return
    await stale_button(callback)


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def time_problem_text(problem: TimeProblem) -> str:
    if problem == TimeProblem.PAST:
        return _("This time has already passed. Enter a time in the future, in Almaty time.")
    return _(
        "I could not read this time. Write it as DD.MM.YYYY HH:MM, for example {example}."
    ).format(example=TIME_EXAMPLE)


def _value_problem(field: str, text: str) -> str | None:
    if not text:
        return _("Please write it as text.")
    if field in LIMITS and len(text) > LIMITS[field]:
        return _("This is too long: {length} characters, at most {limit}.").format(
            length=len(text), limit=LIMITS[field]
        )
    return None


def _capacity(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= CAPACITY_MAX else None


async def dialog_input(message: Message, state: FSMContext) -> None:
    """A typed answer in the create dialog: checked, stored, then the next question."""
    current = await state.get_state()
    field = next((f for f in ORDER if getattr(EventDialog, f).state == current), None)
    if field is None:
        await message.answer(_("Please use the buttons above, or ✖️ Cancel."))
        return
    text = (message.text or "").strip()
    if (problem := _value_problem(field, text)) is not None:
        await message.answer(problem)
        return
    if field == "starts_at":
        try:
            moment = events.parse_local_time(text)
        except EventTimeError as exc:
            await message.answer(time_problem_text(exc.problem))
            return
        await state.update_data(starts_at=moment.isoformat())
    elif field == "capacity":
        capacity = _capacity(text)
        if capacity is None:
            await message.answer(
                _("Write the number of places (1 to {max}), or press «No limit».").format(
                    max=CAPACITY_MAX
                )
            )
            return
        await state.update_data(capacity=capacity)
        await _preview(message, state)
        return
    else:
        await state.update_data({field: text})
    await _ask(message, state, ORDER[ORDER.index(field) + 1])


async def _preview(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    draft = Event(
        id=0,
        kind=data["kind"],
        title_kk=data["title_kk"],
        title_ru=data["title_ru"],
        description_kk=data["description_kk"],
        description_ru=data["description_ru"],
        starts_at=_from_iso(data["starts_at"]),
        place=data["place"],
        capacity=data.get("capacity"),
    )
    await state.set_state(EventDialog.confirm)
    await message.answer(
        _("<b>Preview.</b> Students will see it like this:")
        + "\n\n🇰🇿\n"
        + event_card(draft, "kk")
        + "\n\n🇷🇺\n"
        + event_card(draft, "ru"),
        reply_markup=_dialog_keyboard((_("✅ Publish"), DraftAct(action="publish"))),
        disable_web_page_preview=True,
    )


# ----- admins: editing and cancelling -----

FIELD_LABELS = {
    "starts_at": lambda: _("🕒 Time"),
    "place": lambda: _("📍 Place"),
    "capacity": lambda: _("👥 Places"),
    "title_kk": lambda: _("Title (kk)"),
    "title_ru": lambda: _("Title (ru)"),
    "description_kk": lambda: _("Description (kk)"),
    "description_ru": lambda: _("Description (ru)"),
}


async def event_admin(
    callback: CallbackQuery,
    callback_data: EventAdmin,
    state: FSMContext,
    session: AsyncSession,
    planner: Planner,
    language: str,
) -> None:
    message = callback.message
    event = await events.get(session, callback_data.id)
    if not events.is_open(event) or not isinstance(message, Message):
        await stale_event(
            callback,
            Reply.CANCELLED if event and event.status == events.CANCELLED else Reply.GONE,
        )
        return
    assert event is not None
    action = callback_data.action
    if action == "edit":
        await callback.answer()
        builder = InlineKeyboardBuilder()
        for field in events.EDITABLE:
            builder.button(
                text=FIELD_LABELS[field](),
                callback_data=EventAdmin(action="field", id=event.id, field=field),
            )
        builder.adjust(3, 2, 2)
        await message.answer(
            _("What do you want to change in «{title}»?").format(
                title=html.quote(events.title(event, language))
            ),
            reply_markup=builder.as_markup(),
        )
    elif action == "field" and callback_data.field in events.EDITABLE:
        await callback.answer()
        await state.set_state(EventDialog.edit_value)
        await state.update_data(event_id=event.id, field=callback_data.field)
        current = {
            "starts_at": events.local_input(event.starts_at),
            "capacity": str(event.capacity) if event.capacity else "—",
        }.get(callback_data.field) or str(getattr(event, callback_data.field))
        prompt = PROMPTS[callback_data.field]()
        if callback_data.field == "capacity":
            prompt = _("How many places? Write a number, or 0 for no limit.")
        await message.answer(
            prompt + "\n\n" + _("Now: {value}").format(value=html.quote(current)),
            reply_markup=_dialog_keyboard(),
        )
    elif action == "cancel":
        await callback.answer()
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✖️ Yes, cancel the event"),
            callback_data=EventAdmin(action="cancel_yes", id=event.id),
        )
        builder.button(text=_("Keep it"), callback_data=DraftAct(action="discard"))
        builder.adjust(1)
        await message.answer(
            _(
                "Cancel «{title}»? Its reminders are removed and everyone following it is told."
            ).format(title=html.quote(events.title(event, language))),
            reply_markup=builder.as_markup(),
        )
    elif action == "cancel_yes":
        cancelled = await events.cancel_event(session, event.id)
        if cancelled is None:
            await stale_event(callback, Reply.CANCELLED)
            return
        # After the commit: the job that tells followers reads the cancellation.
        event_id = event.id
        after_commit(session, lambda: unschedule_event(planner, event_id))
        after_commit(session, lambda: tell_followers(planner, event_id, "cancelled"))
        await callback.answer(_("Cancelled."))
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _("✖️ Event #{id} is cancelled; its followers are being told.").format(id=event.id)
        )
    else:
        await stale_button(callback)


async def edit_input(
    message: Message, state: FSMContext, session: AsyncSession, planner: Planner
) -> None:
    data = await state.get_data()
    field, event_id = data.get("field", ""), int(data.get("event_id", 0))
    text = (message.text or "").strip()
    if (problem := _value_problem(field, text)) is not None:
        await message.answer(problem)
        return
    value: Any = text
    if field == "starts_at":
        try:
            value = events.parse_local_time(text)
        except EventTimeError as exc:
            await message.answer(time_problem_text(exc.problem))
            return
    elif field == "capacity":
        if text == "0":
            value = None
        elif (value := _capacity(text)) is None:
            await message.answer(
                _("Write the number of places (1 to {max}), or 0 for no limit.").format(
                    max=CAPACITY_MAX
                )
            )
            return
    event = await events.edit_event(session, event_id, field, value)
    await state.clear()
    if event is None:
        await message.answer(
            _("This event can no longer be edited: it has passed or was cancelled.")
        )
        return
    if field == "starts_at":
        # After the commit: the jobs read the new time.
        event_id, starts_at = event.id, event.starts_at
        after_commit(session, lambda: schedule_event(planner, event_id, starts_at))
        after_commit(session, lambda: tell_followers(planner, event_id, "moved"))
        await message.answer(
            _("✅ Saved. The reminders are moved and everyone following the event is told.")
        )
    else:
        await message.answer(_("✅ Saved."))
