"""Texts and buttons of the buddy programme."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.handlers.callbacks import MenuItem
from bot.handlers.keyboards import spoken_languages_keyboard
from bot.services.buddies import PairView


class BuddyMenu(CallbackData, prefix="bm"):
    action: str  # ask | offer | mine


class BuddyForm(CallbackData, prefix="bf"):
    field: str
    value: str


class BuddyEnd(CallbackData, prefix="be"):
    pair: int
    confirm: bool = False


class BuddyDecide(CallbackData, prefix="bd"):
    pair: int
    approve: bool


class BuddyCheckin(CallbackData, prefix="bc"):
    pair: int
    good: bool


def origin_name(origin: str) -> str:
    return {
        "first_year": _("first-year student"),
        "other_region": _("from another region of Kazakhstan"),
        "other_country": _("from another country"),
    }.get(origin, origin)


def languages_text(codes: list[str]) -> str:
    names = {"kk": _("Kazakh language"), "ru": _("Russian language"), "en": _("English language")}
    return ", ".join(names.get(c, c) for c in codes)


def menu_text() -> str:
    return _(
        "<b>Buddy programme</b>\n\n"
        "A buddy is a senior student who helps a newcomer settle in: the campus, the city, "
        "where to turn. It is for first-year students and for those who came from another "
        "region or country.\n\n"
        "A curator approves every match. Your contact is shown to your buddy only if you "
        "agree, and either of you can end it at any time."
    )


def menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🙋 I would like a buddy"), callback_data=BuddyMenu(action="ask"))
    builder.button(text=_("🤝 I want to be a buddy"), callback_data=BuddyMenu(action="offer"))
    builder.button(text=_("👥 My buddy"), callback_data=BuddyMenu(action="mine"))
    builder.adjust(1)
    return builder.as_markup()


def languages_keyboard() -> InlineKeyboardMarkup:
    return spoken_languages_keyboard(lambda value: BuddyForm(field="languages", value=value))


def origin_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in ("first_year", "other_region", "other_country"):
        builder.button(
            text=origin_name(value), callback_data=BuddyForm(field="origin", value=value)
        )
    builder.adjust(1)
    return builder.as_markup()


def share_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Show it to my buddy"), callback_data=BuddyForm(field="share", value="yes")
    )
    builder.button(text=_("🚫 Do not show it"), callback_data=BuddyForm(field="share", value="no"))
    builder.adjust(1)
    return builder.as_markup()


def pairs_text(views: list[PairView]) -> str:
    if not views:
        return _(
            "You have no buddy at the moment. Press «I would like a buddy» or «I want to be a buddy» in /buddy."
        )
    lines = [_("<b>My buddies</b>")]
    for view in views:
        name = html.quote(view.other_name or _("a student who left"))
        if view.pair.status == "proposed":
            lines.append(_("⏳ {name}: waiting for a curator's approval.").format(name=name))
            continue
        role = _("your buddy") if view.role == "newcomer" else _("the newcomer you help")
        contact = (
            html.quote(view.other_contact)
            if view.other_contact
            else _("not shared; ask a curator to put you in touch")
        )
        lines.append(
            _("🤝 {name}, {role} ({faculty}). Contact: {contact}").format(
                name=name, role=role, faculty=html.quote(view.other_faculty or "—"), contact=contact
            )
        )
    return "\n".join(lines)


def pairs_keyboard(views: list[PairView]) -> InlineKeyboardMarkup | None:
    if not views:
        return None
    builder = InlineKeyboardBuilder()
    for view in views:
        name = view.other_name or "—"
        builder.button(
            text=_("✖️ End the pairing with {name}").format(name=name[:30]),
            callback_data=BuddyEnd(pair=view.pair.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def decide_keyboard(pair_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Approve"), callback_data=BuddyDecide(pair=pair_id, approve=True))
    builder.button(text=_("✖️ Reject"), callback_data=BuddyDecide(pair=pair_id, approve=False))
    builder.adjust(2)
    return builder.as_markup()


def checkin_keyboard(pair_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("👍 It goes well"), callback_data=BuddyCheckin(pair=pair_id, good=True))
    builder.button(text=_("👎 Not so well"), callback_data=BuddyCheckin(pair=pair_id, good=False))
    builder.adjust(2)
    return builder.as_markup()


def curator_offer_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🧑‍🏫 Contact a curator"), callback_data=MenuItem(item="consult"))
    return builder.as_markup()


def end_confirm_keyboard(pair: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖️ Yes, end it"), callback_data=BuddyEnd(pair=pair, confirm=True))
    return builder.as_markup()


def decision_verdict(approved: bool, next_proposed: bool) -> str:
    """What the curator's card says once the match is decided."""
    if approved:
        return _("✅ Approved: both are being introduced.")
    return (
        _("✖️ Rejected.")
        + " "
        + (
            _("The next volunteer is proposed.")
            if next_proposed
            else _("No other volunteer is free; the request waits.")
        )
    )
