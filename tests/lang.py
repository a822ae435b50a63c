"""Telling Kazakh from Russian in what the bot sent, as a reader would."""

from __future__ import annotations

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def looks_kazakh(text: str) -> bool:
    return any(ch in KAZAKH_LETTERS for ch in text)


def looks_russian(text: str) -> bool:
    letters = [ch for ch in text if "а" <= ch.lower() <= "я" or ch.lower() == "ё"]
    return len(letters) >= 5 and not looks_kazakh(text)
