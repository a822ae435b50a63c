"""Events: the list and cards for students (remind me, I'm going, kind subscriptions) and
the admins' dialogs to create, edit and cancel events. Everyone else is refused the admin
parts in their language."""

from __future__ import annotations

import contextlib
import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event
from bot.handlers.common import refuse_non_admin, stale_button
from bot.handlers.context import Ctx
from bot.handlers.events.admin import (
    ORDER,
    cancel_ask,
    cancel_confirmed,
    dialog_input,
    discard_draft,
    edit_field,
    edit_input,
    edit_menu,
    kind_chosen,
    new_event,
    no_capacity,
    publish_draft,
)
from bot.handlers.events.ui import (
    DraftAct,
    EventAct,
    EventAdmin,
    EventDialog,
    EventFilter,
    EventOpen,
    KindToggle,
    event_card,
    event_card_keyboard,
    event_list_keyboard,
    kind_plural,
    kinds_keyboard,
    stale_event,
)
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.services import events
from bot.services.events import (
    KINDS,
    Reply,
)
from bot.services.roles import ADMIN

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("new_event",)


# ----- students -----


async def show_events(
    message: Message,
    session: AsyncSession,
    language: str,
    *,
    text: str | None = None,
    kind: str | None = None,
    is_admin: bool = False,
    edit: bool = False,
) -> None:
    """Upcoming events (of one kind); a question naming an event gets its card at once."""
    found = await events.upcoming(session, kind)
    if text:
        named = events.match_events(found, text)
        if named:
            for event in named[:3]:
                await send_card(message, session, event, language, is_admin)
            return
    if found:
        intro = (
            _("Upcoming events — {kind}:").format(kind=kind_plural(kind))
            if kind
            else _("Upcoming events. Choose one to see the details:")
        )
    else:
        intro = _(
            "There are no upcoming events here yet. Subscribe to a kind of event and I will "
            "tell you when one is published."
        )
    markup = event_list_keyboard(found[:10], language)
    if edit:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(intro, reply_markup=markup)
        return
    await message.answer(intro, reply_markup=markup)


async def send_card(
    message: Message, session: AsyncSession, event: Event, language: str, is_admin: bool
) -> None:
    going = await events.going_count(session, event.id) if event.capacity else 0
    await message.answer(
        event_card(event, language, going),
        reply_markup=event_card_keyboard(event, admin=is_admin),
        disable_web_page_preview=True,
    )


async def filter_chosen(callback: CallbackQuery, callback_data: EventFilter, ctx: Ctx) -> None:
    await callback.answer()
    kind = callback_data.kind if callback_data.kind in KINDS else None
    if isinstance(callback.message, Message):
        await show_events(
            callback.message, ctx.session, ctx.language, kind=kind, is_admin=ctx.is_admin, edit=True
        )


async def open_event(callback: CallbackQuery, callback_data: EventOpen, ctx: Ctx) -> None:
    event = await events.get(ctx.session, callback_data.id)
    if event is None or not events.is_open(event):
        await stale_event(
            callback, Reply.CANCELLED if event and event.status == events.CANCELLED else Reply.GONE
        )
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await send_card(callback.message, ctx.session, event, ctx.language, ctx.is_admin)


def _needs_consent() -> str:
    return _(
        "To keep reminders and registrations I need your consent to store data. "
        "Send /start to give it."
    )


def _rsvp_texts() -> dict[Reply, str]:
    return {
        Reply.DONE: _("See you there! Your place is kept, and I will remind you."),
        Reply.ALREADY: _("You are already on the list for this event."),
        Reply.FULL: _("Sorry, all places for this event are taken."),
        Reply.NO_CAPACITY: _("No registration is needed for this event: just come."),
    }


def _reminder_texts() -> dict[Reply, str]:
    return {
        Reply.DONE: _("Done: I will remind you a day and an hour before it starts."),
        Reply.ALREADY: _("You have already asked me to remind you about this event."),
    }


async def event_action(callback: CallbackQuery, callback_data: EventAct, ctx: Ctx) -> None:
    """«I'm going» ("going") or «Remind me» ("remind") on an event's card."""
    if ctx.profile is None:
        await callback.answer(_needs_consent(), show_alert=True)
        return
    going = callback_data.action == "going"
    act = events.rsvp if going else events.add_reminder
    reply = await act(ctx.session, callback_data.id, ctx.user_id)
    if reply in (Reply.CANCELLED, Reply.GONE):
        await stale_event(callback, reply)
        return
    texts = _rsvp_texts() if going else _reminder_texts()
    await callback.answer(texts[reply], show_alert=reply == Reply.FULL)
    if reply == Reply.DONE and going:
        await _refresh_card(callback, callback_data.id, ctx)


async def _refresh_card(callback: CallbackQuery, event_id: int, ctx: Ctx) -> None:
    """The card again, with the new number of places taken."""
    event = await events.get(ctx.session, event_id)
    if event is not None and isinstance(callback.message, Message):
        going = await events.going_count(ctx.session, event.id)
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_text(
                event_card(event, ctx.language, going),
                reply_markup=event_card_keyboard(event, admin=ctx.is_admin),
                disable_web_page_preview=True,
            )


async def kind_toggle(callback: CallbackQuery, callback_data: KindToggle, ctx: Ctx) -> None:
    session = ctx.session
    if ctx.profile is None:
        await callback.answer(_needs_consent(), show_alert=True)
        return
    user_id = callback.from_user.id
    if callback_data.kind == "menu":
        await callback.answer()
        if isinstance(callback.message, Message):
            await callback.message.answer(
                _(
                    "Choose the kinds of events to follow: I will tell you when a new one is "
                    "published. Press again to unsubscribe."
                ),
                reply_markup=kinds_keyboard(await events.subscribed_kinds(session, user_id)),
            )
        return
    if callback_data.kind not in KINDS:
        await stale_button(callback)
        return
    now_on = await events.toggle_kind(session, user_id, callback_data.kind)
    await callback.answer(
        (
            _("Subscribed: {kind}. I will tell you about new ones.")
            if now_on
            else _("Unsubscribed: {kind}.")
        ).format(kind=kind_plural(callback_data.kind))
    )
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(
                reply_markup=kinds_keyboard(await events.subscribed_kinds(session, user_id))
            )


def create_router() -> Router:
    router = Router(name="events")
    router.message.filter(PrivateChat())
    router.message.register(new_event, CommandText(), Command(*ADMIN_COMMANDS), HasRole(ADMIN))
    router.message.register(refuse_non_admin, CommandText(), Command(*ADMIN_COMMANDS))
    dialog_states = [getattr(EventDialog, f) for f in ORDER] + [
        EventDialog.kind,
        EventDialog.confirm,
    ]
    # The state is checked first: for ordinary messages it is one dictionary look-up.
    router.message.register(edit_input, _InStates([EventDialog.edit_value]), HasRole(ADMIN))
    router.message.register(dialog_input, _InStates(dialog_states), HasRole(ADMIN))
    router.callback_query.register(open_event, EventOpen.filter())
    router.callback_query.register(filter_chosen, EventFilter.filter())
    router.callback_query.register(event_action, EventAct.filter(F.action.in_(("going", "remind"))))
    router.callback_query.register(stale_button, EventAct.filter())
    router.callback_query.register(kind_toggle, KindToggle.filter())
    admin = HasRole(ADMIN)
    drafts = (
        (discard_draft, "discard", None),
        (kind_chosen, "kind", EventDialog.kind),
        (no_capacity, "nocap", EventDialog.capacity),
        (publish_draft, "publish", EventDialog.confirm),
    )
    for handler, action, state in drafts:
        in_state = [_InStates([state])] if state else []
        router.callback_query.register(
            handler, DraftAct.filter(F.action == action), *in_state, admin
        )
    edits = (
        (edit_menu, "edit"),
        (edit_field, "field"),
        (cancel_ask, "cancel"),
        (cancel_confirmed, "cancel_yes"),
    )
    for edit, action in edits:
        router.callback_query.register(edit, EventAdmin.filter(F.action == action), admin)
    router.callback_query.register(stale_button, DraftAct.filter(), admin)
    router.callback_query.register(stale_button, EventAdmin.filter(), admin)
    router.callback_query.register(refuse_non_admin, DraftAct.filter())
    router.callback_query.register(refuse_non_admin, EventAdmin.filter())
    return router


class _InStates(Filter):
    """Async filter: the FSM is in one of `states` (cheap: no thread pool)."""

    def __init__(self, states: list[State]) -> None:
        self.names = {s.state for s in states}

    async def __call__(self, event: Message | CallbackQuery, raw_state: str | None = None) -> bool:
        return raw_state in self.names
