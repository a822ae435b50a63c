"""Kazakh and Russian as students type them fold to one spelling for the NLU and search."""

from __future__ import annotations

import pytest

from nlu.normalize import detect_script, fold_kazakh, normalize_text, normalize_word, tokenize


@pytest.mark.parametrize(
    "variants",
    [
        # standard Cyrillic, Cyrillic without Kazakh letters, Latin (several conventions)
        ["Сәлеметсіз бе", "Салеметсиз бе", "Salemetsiz be", "Sälemetsiz be", "sálemetsiz be"],
        ["Рақмет", "Ракмет", "Raqmet", "RAQMET"],
        ["Қазақша сөйлеңізші", "Казакша сойленизши", "qazaqsha söylenizshi"],
        ["Жатақхана", "Жатакхана", "Zhataqhana", "Jataqhana"],
        ["Көмек керек", "Комек керек", "Kómek kerek", "Kömek kerek"],
        ["Шәкіртақы қашан?", "Шакиртакы кашан?", "Shákirtaqy qashan?"],
    ],
)
def test_script_variants_fold_to_the_same_text(variants: list[str]) -> None:
    folded = {normalize_text(text) for text in variants}
    assert len(folded) == 1, folded


def test_folding_reaches_the_letters_students_type_instead() -> None:
    assert normalize_word("ӘҒҚҢӨҰҮҺІ") == "агкноуухи"
    assert normalize_text("Ёлка") == "елка"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("пpивeт", "привет"),  # Latin p and e inside a Cyrillic word
        ("Сәлeмeтсiз бе", "Сәлеметсіз бе"),  # Latin e and i inside Kazakh
        ("кoмeк", "көмек"),
    ],
)
def test_latin_look_alike_letters_inside_cyrillic_words(typed: str, meant: str) -> None:
    assert normalize_text(typed) == normalize_text(meant)


def test_whole_latin_words_are_transliterated_not_treated_as_look_alikes() -> None:
    # "hello" written with look-alike letters would become "нейо"; transliterated it is "хелло".
    assert normalize_word("hello") == "хелло"
    assert normalize_word("privet") == "привет"


def test_tokenize_drops_punctuation_and_keeps_apostrophes_inside_words() -> None:
    assert tokenize("Сәлем, бот! Sa'lem?") == ["салем", "бот", "салем"]
    assert tokenize("...") == []


def test_normalize_text_keeps_punctuation_and_spacing() -> None:
    assert normalize_text("Сәлем, Қайрат!") == "салем, кайрат!"


def test_folding_keeps_offsets_so_entities_still_point_at_the_words() -> None:
    text = "Тілді қазақшаға ауыстырыңыз"
    start = text.index("қазақшаға")
    end = start + len("қазақшаға")
    folded = fold_kazakh(text)
    assert len(folded) == len(text)
    assert folded[start:end] == "казакшага"


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Сәлеметсіз бе", "kk_cyrillic"),
        ("Салеметсиз бе", "cyrillic"),
        ("Salemetsiz be", "latin"),
        ("Сәлем, how are you", "mixed"),
        ("123 !!!", "none"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script
