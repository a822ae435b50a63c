"""The bilingual lexicon and the morphology it rests on, with real word forms."""

from __future__ import annotations

import pytest

from knowledge_base.lexicon import (
    DEFAULT_LEXICON_PATH,
    ConceptGroup,
    Lexicon,
    LexiconError,
    default_lexicon,
    dump_lexicon,
    load_lexicon_file,
    parse_lexicon,
    validate_groups,
)
from knowledge_base.morphology import kazakh_stem, word_key


@pytest.mark.parametrize(
    "forms",
    [
        # "to discriminate" in Kazakh: infinitive+dative, conditional, converb in Russian
        # letters, 2017 Latin, chat Latin, present tense
        ["кемсітуге", "кемсітсе", "кемситип", "kemsitý", "kemsitip", "кемсітеді"],
        ["жатақхана", "жатақханада", "жатақханаға", "жатакханадан", "zhataqhanada"],
        ["ұлт", "ұлтына", "ұлттар", "ұлтым", "ultyna", "ұлттық"],
        ["тіл", "тілдер", "тілін", "тилде", "tilderi"],
        ["төбелес", "төбелесті", "төбелесіп", "тобелесу"],
    ],
)
def test_kazakh_forms_of_one_word_share_a_key(forms: list[str]) -> None:
    assert len({word_key(form) for form in forms}) == 1, [word_key(f) for f in forms]


@pytest.mark.parametrize(
    "forms",
    [
        ["притеснять", "притесняют", "притесняли"],
        ["общежитие", "общежитии", "общежитиях"],
        ["национальность", "национальности", "национальностей"],
        ["дискриминация", "дискриминации", "дискриминацией"],
        ["оскорблять", "оскорбляют", "оскорблял"],
    ],
)
def test_russian_forms_of_one_word_share_a_lemma(forms: list[str]) -> None:
    assert len({word_key(form) for form in forms}) == 1, [word_key(f) for f in forms]


def test_short_kazakh_words_keep_their_stem() -> None:
    assert kazakh_stem("ана") == "ана"
    assert kazakh_stem("тил") == "тил"


def test_the_shipped_lexicon_loads_and_joins_both_languages_and_every_script() -> None:
    lexicon = default_lexicon()
    for word in ["гнобят", "притесняют", "кемсітеді", "kemsitedi", "кемситеди", "дискриминации"]:
        assert lexicon.concepts(word) == ("discrimination",), word
    for word in ["общага", "общежитии", "жатақханада", "zhataqhanada"]:
        assert lexicon.concepts(word) == ("dormitory",), word
    assert lexicon.concepts("этнос") == lexicon.concepts("ұлтына") == ("nationality",)
    assert lexicon.is_incident_word("подрались")
    assert lexicon.is_incident_word("төбелесті")
    assert not lexicon.is_incident_word("общежитие")


def test_the_shipped_lexicon_has_a_few_hundred_groups_and_round_trips() -> None:
    groups = load_lexicon_file(DEFAULT_LEXICON_PATH)
    assert len(groups) >= 100
    assert parse_lexicon(dump_lexicon(groups)) == groups


def test_a_word_in_two_groups_is_refused_with_both_lines() -> None:
    text = (
        "- id: dormitory\n"
        "  words: [общежитие, жатақхана]\n"
        "- id: housing\n"
        "  words:\n"
        "    - квартира\n"
        "    - общежитии\n"
    )
    with pytest.raises(LexiconError) as caught:
        parse_lexicon(text, source="kb/lexicon.yml")
    message = str(caught.value)
    assert "kb/lexicon.yml:6" in message
    assert "«общежитии»" in message and "«dormitory»" in message and "line 2" in message


def test_an_empty_group_a_group_of_one_and_a_stop_word_are_all_reported() -> None:
    text = (
        "- id: empty\n"
        "  words: []\n"
        "- id: lonely\n"
        "  words: [общага]\n"
        "- id: filler\n"
        "  words: [қалай, как]\n"
    )
    with pytest.raises(LexiconError) as caught:
        parse_lexicon(text)
    problems = caught.value.problems
    assert any("lexicon.yml:1" in p and "no words" in p for p in problems)
    assert any("lexicon.yml:3" in p and "one word" in p for p in problems)
    assert any("lexicon.yml:6" in p and "«қалай»" in p and "stop word" in p for p in problems)
    assert any("«как»" in p and "stop word" in p for p in problems)


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(LexiconError, match=r"lexicon.yml:2"):
        parse_lexicon("- id: a\n  words: [x, y\n")


def test_validate_groups_names_the_group_without_lines() -> None:
    problems = validate_groups(
        [
            ConceptGroup("a", ("общежитие", "жатақхана")),
            ConceptGroup("b", ("общежитии", "квартира")),
        ]
    )
    assert problems and "«b»" in problems[0] and "«a»" in problems[0]


def test_an_empty_lexicon_joins_nothing() -> None:
    assert Lexicon.empty().concepts("общага") == ()
    assert parse_lexicon("") == []
