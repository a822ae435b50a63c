"""Word forms of Kazakh and Russian reduced to one key, so inflected words meet.

Every word is first normalised by :mod:`nlu.normalize` (case, Latin script, Kazakh letters
folded to Russian ones), so the three ways of writing Kazakh reach this module as one spelling.
Then:

* a word Russian dictionaries know (pymorphy3 with the OpenCorpora dictionaries) becomes its
  lemma: ``притесняют`` → ``притеснять``, ``общежитии`` → ``общежитие``;
* any other word is treated as Kazakh and loses its endings by rule — plural, possessive, case
  and the common verb forms — from the end, one layer at a time, while a stem of at least three
  letters remains: ``кемсітуге``, ``кемсітсе``, ``кемситип`` and ``kemsitý`` all become
  ``кемсит``.

The Kazakh rules work on the folded alphabet (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, і→и), which is
why the suffixes below look Russian. They are deliberately greedy: two forms of one word must
always meet, and a rare collision of two unrelated stems costs less than a missed match.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from nlu.normalize import normalize_word

__all__ = ["kazakh_stem", "russian_lemma", "russian_tag", "word_key"]

log = logging.getLogger(__name__)

_MIN_STEM = 3
_MAX_LAYERS = 4

# Folded spellings of Kazakh endings.
_SUFFIX_LAYERS = """
    лар лер дар дер тар тер
    ым им ын ин ы и сы си ымыз имиз мыз миз ыныз иниз ныз низ лары лери
    га ге ка ке на не да де та те нда нде дан ден тан тен нан нен
    дын дин тын тин нын нин ды ди ты ти ны ни мен бен пен ша ше
    у уге уга са се ып ип п ган ген кан кен атын етин йтын йтин ады еди йды йди ат ет
    мын мин сыз сиз сын син уши ушы ма ме ба бе па пе май мей бай бей пай пей
    йик йык айык ейик
    лык лик дык дик тык тик гы ги кы ки
"""
# Lines above, in order: plural; possessive; case (dative, locative, ablative); genitive,
# accusative, instrumental, equative; verbs (infinitive, conditional, converbs, participles,
# present and past); person and negation; optative; nouns and adjectives made from nouns
# (-лық, -ғы). Longest first, so that ``дан`` is tried before ``да`` and ``ымыз`` before ``ым``.
_SUFFIXES: tuple[str, ...] = tuple(sorted(set(_SUFFIX_LAYERS.split()), key=len, reverse=True))
# One-letter endings strip only from a longer word: ``ана`` must stay, ``тілі`` must lose ``і``.
_SHORT_SUFFIX_MIN_STEM = 3


def kazakh_stem(word: str) -> str:
    """The stem of a normalised (folded) Kazakh word, its endings stripped by rule."""
    for _ in range(_MAX_LAYERS):
        for suffix in _SUFFIXES:
            rest = len(word) - len(suffix)
            if not word.endswith(suffix):
                continue
            if rest < _MIN_STEM or (len(suffix) == 1 and rest < _SHORT_SUFFIX_MIN_STEM):
                continue
            word = word[:rest]
            break
        else:
            return word
    return word


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        import pymorphy3
    except ImportError:  # pragma: no cover - a declared dependency; degrade rather than crash
        log.warning("pymorphy3 is not installed: Russian words are matched without lemmas")
        return None
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=131072)
def russian_lemma(word: str) -> str | None:
    """The dictionary form of a Russian word, or None when the dictionaries do not know it."""
    analyzer = _analyzer()
    # The dictionary look-up is ten times cheaper than a parse, which guesses at unknown words
    # (every Kazakh word) at length.
    if analyzer is None or not analyzer.word_is_known(word):
        return None
    parses = analyzer.parse(word)
    if not parses or not parses[0].is_known:
        return None
    lemma: str = parses[0].normal_form
    return lemma.replace("ё", "е")


@lru_cache(maxsize=65536)
def russian_tag(word: str) -> tuple[str, str] | None:
    """Part of speech and mood (``INFN`` for an infinitive) of a known Russian word, else None."""
    analyzer = _analyzer()
    if analyzer is None or not _is_cyrillic_word(word) or not analyzer.word_is_known(word):
        return None
    parses = analyzer.parse(word)
    if not parses or not parses[0].is_known:
        return None
    tag = parses[0].tag
    pos = str(tag.POS or "")
    return pos, "INFN" if pos == "INFN" else str(tag.mood or "")


def _is_cyrillic_word(word: str) -> bool:
    return all("\u0400" <= ch <= "\u04ff" for ch in word)


@lru_cache(maxsize=131072)
def word_key(word: str) -> str:
    """The key two forms of one word share: a Russian lemma or a Kazakh stem.

    ``word`` may be written in any script; it is normalised first. Numbers and words of
    other alphabets are returned normalised and otherwise unchanged.
    """
    # The 2017 Latin alphabet wrote у/ұ as ý, which the shared normaliser leaves alone.
    word = normalize_word(word.replace("ý", "u").replace("Ý", "U"))
    if len(word) < _MIN_STEM or not _is_cyrillic_word(word):
        return word
    lemma = russian_lemma(word)
    if lemma is not None:
        return lemma
    return kazakh_stem(word)
