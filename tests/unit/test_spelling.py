"""The older Latin alphabets and Russian-letter Kazakh meet standard Kazakh in the knowledge base."""

from __future__ import annotations

import pytest

from knowledge_base.morphology import word_key
from knowledge_base.spelling import latin_kazakh, tokenize


def keys(text: str) -> list[str]:
    return [word_key(word) for word in tokenize(text)]


@pytest.mark.parametrize(
    ("variant", "standard"),
    [
        ("kemsitý", "кемсіту"),  # 2018 accents
        ("kemsıtu", "кемсіту"),  # 2021 dotless ı is і
        ("KEMSİTU", "кемсіту"),  # capital dotted İ
        ("s'ag'ym", "шағым"),  # 2017 apostrophes
        ("y'lt", "ұлт"),
        ("tu'sindiru'", "түсіндіру"),
        ("c'ay", "шай".replace("ш", "ч")),
        ("кемситу", "кемсіту"),  # Russian letters
        ("улттык", "ұлттық"),
        ("жатакхана", "жатақхана"),
    ],
)
def test_spellings_of_one_word_meet(variant: str, standard: str) -> None:
    assert keys(variant) == keys(standard)


def test_cyrillic_text_passes_unchanged() -> None:
    text = "Жатақханада ұрысып қалдық, не істеймін?"
    assert latin_kazakh(text) == text


def test_the_bot_is_not_a_stop_word() -> None:
    # Questions about the bot itself («как оставить отзыв про бота») need the word.
    from knowledge_base.stopwords import is_stop_word

    assert not is_stop_word("бот") and not is_stop_word("бота")
