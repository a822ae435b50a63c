"""Text normalisation for Kazakh and Russian as students actually type them.

Standard library only: the Rasa tokenizer (in Rasa's own virtualenv) and the bot both import
this module, so training data and incoming text are folded by the very same code.

The pipeline, per word:
1. Unicode NFC, lower case, ``ё`` → ``е``.
2. A word mixing Cyrillic and Latin letters has its Latin look-alikes replaced by the Cyrillic
   letters they imitate (``пpивeт`` typed with Latin ``p`` and ``e``).
3. A word written wholly in Latin letters is transliterated to Cyrillic, covering the 2021
   Kazakh Latin alphabet (á, ǵ, ı, ń, ó, ú, ü, q, ...) and informal transliteration
   (sh, ch, zh, kh, ya, yu, ...).
4. The Kazakh-specific letters are folded to the Russian letters students type instead
   (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, һ→х, і→и).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["detect_script", "fold_kazakh", "normalize_text", "normalize_word", "tokenize"]

_KAZAKH_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")

# Latin letters that look like Cyrillic ones; applied only inside mixed-script words.
_HOMOGLYPHS = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "i": "і",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }
)

# Longest sequences first; each pattern is tried at the current position.
_LATIN_MULTI = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
    ("ye", "е"),
)

_LATIN_SINGLE = {
    "a": "а",
    "á": "ә",
    "ä": "ә",
    "b": "б",
    "c": "с",
    "ç": "ч",
    "d": "д",
    "e": "е",
    "é": "е",
    "f": "ф",
    "g": "г",
    "ǵ": "ғ",
    "ğ": "ғ",
    "h": "х",
    "i": "и",
    "ı": "ы",
    "í": "й",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "ń": "ң",
    "ñ": "ң",
    "o": "о",
    "ó": "ө",
    "ö": "ө",
    "p": "п",
    "q": "қ",
    "r": "р",
    "s": "с",
    "ş": "ш",
    "t": "т",
    "u": "у",
    "ú": "ұ",
    "ū": "ұ",
    "ü": "ү",
    "v": "в",
    "w": "у",
    "x": "х",
    "z": "з",
    "'": "",
    "’": "",
}

_VOWELS_LATIN = set("aeiouáäéóöúüıy")
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_latin(ch: str) -> bool:
    return ch.isalpha() and (ch.isascii() or "\u00c0" <= ch <= "\u024f")


def _transliterate_latin(word: str) -> str:
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        for pattern, cyr in _LATIN_MULTI:
            if word.startswith(pattern, i):
                out.append(cyr)
                i += len(pattern)
                break
        else:
            ch = word[i]
            prev = word[i - 1] if i > 0 else ""
            next_vowel = i + 1 < n and word[i + 1] in _VOWELS_LATIN
            if ch == "y":
                # "y" after a vowel closes a syllable (qalay → қалай), except after "u", where
                # chat Latin writes уы (shabuyl → шабуыл); elsewhere it is ы.
                closes = prev in _VOWELS_LATIN and prev != "u" and not next_vowel
                out.append("й" if closes and out[-1] != "й" else "ы")
            elif ch == "i" and prev and prev in "aeou" and (not next_vowel or word[i + 1] == "y"):
                # Chat Latin writes й as "i" after a vowel: qaida → қайда, aitu → айту.
                out.append("й")
            else:
                out.append(_LATIN_SINGLE.get(ch, ch))
            i += 1
    return "".join(out)


def fold_kazakh(text: str) -> str:
    """Replace the Kazakh-specific letters by the Russian letters typed in their place."""
    return text.lower().translate(_KAZAKH_FOLD)


def normalize_word(word: str) -> str:
    """Normalise one word: case, look-alike letters, Latin script and Kazakh letters."""
    word = unicodedata.normalize("NFC", word).lower()
    has_cyr = any(_is_cyrillic(ch) for ch in word)
    has_lat = any(_is_latin(ch) and not _is_cyrillic(ch) for ch in word)
    if has_cyr and has_lat:
        word = word.translate(_HOMOGLYPHS)
    elif has_lat:
        word = _transliterate_latin(word)
    return word.translate(_KAZAKH_FOLD)


def normalize_text(text: str) -> str:
    """Normalise every word of ``text``; punctuation and spacing between words are kept."""
    text = unicodedata.normalize("NFC", text)
    return _WORD_RE.sub(lambda m: normalize_word(m.group(0)), text).strip()


def tokenize(text: str) -> list[str]:
    """The normalised words of ``text``, without punctuation."""
    return [normalize_word(m.group(0)) for m in _WORD_RE.finditer(text)]


def detect_script(text: str) -> str:
    """Classify how ``text`` is written.

    Returns ``kk_cyrillic`` (Kazakh letters present), ``latin`` (only Latin letters),
    ``cyrillic`` (Cyrillic without Kazakh letters), ``mixed`` or ``none``.
    """
    letters = [ch for ch in text.lower() if ch.isalpha()]
    if not letters:
        return "none"
    cyr = sum(_is_cyrillic(ch) for ch in letters)
    if cyr == 0:
        return "latin"
    if cyr < len(letters):
        return "mixed"
    if any(ch in "әғқңөұүһі" for ch in letters):
        return "kk_cyrillic"
    return "cyrillic"
