"""Typed callback data of every inline button (Telegram limits it to 64 bytes)."""

from __future__ import annotations

from typing import Self

from aiogram.filters.callback_data import CallbackData


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


class ConsentChoice(CallbackData, prefix="consent"):
    accept: bool


class MenuItem(CallbackData, prefix="menu"):
    item: str


class _WithQuestionRef(CallbackData, prefix="-"):
    """Buttons that may carry the question log's token (`ref`) of the question they answer.

    Buttons sent before the token existed have one field less; they keep working."""

    @classmethod
    def unpack(cls, value: str) -> Self:
        if value.count(cls.__separator__) == len(cls.model_fields) - 1:
            value += cls.__separator__
        return super().unpack(value)


class ShowEntry(_WithQuestionRef, prefix="faq"):
    pk: int
    ref: str = ""


class Vote(_WithQuestionRef, prefix="vote"):
    pk: int
    helpful: bool
    ref: str = ""


class DeleteData(CallbackData, prefix="erase"):
    confirm: bool
