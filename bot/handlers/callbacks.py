"""Typed callback data of every inline button (Telegram limits it to 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


class ConsentChoice(CallbackData, prefix="consent"):
    accept: bool


class MenuItem(CallbackData, prefix="menu"):
    item: str


class ShowEntry(CallbackData, prefix="faq"):
    pk: int


class Vote(CallbackData, prefix="vote"):
    pk: int
    helpful: bool


class DeleteData(CallbackData, prefix="erase"):
    confirm: bool
