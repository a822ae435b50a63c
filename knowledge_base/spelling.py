"""Latin Kazakh as students type it, brought to the spelling :mod:`nlu.normalize` expects.

Three official Latin alphabets (2017 with apostrophes, 2018 with acute accents, 2021 with
diacritics) and phone Latin are all in use. The shared normaliser reads the 2021 letters and
informal digraphs; the older alphabets write some letters it does not know, and a few of their
letters mean something else there:

* 2017 apostrophes: ``a'`` ә, ``o'`` ө, ``u'`` ү, ``y'`` ұ, ``g'`` ғ, ``n'`` ң, ``i'`` и/й,
  ``s'`` ш, ``c'`` ч (also ``s'h``, ``c'h``);
* 2018 accents: ``ý`` у (``kemsitý`` is кемсіту);
* 2021: dotless ``ı`` is і (the normaliser read it as ы), and a capital dotted ``İ`` lower-cased
  leaves a combining dot behind.

Applied to a text before :func:`nlu.normalize.tokenize`, by the knowledge base only (search,
lexicon, stop words, the safety net), so the NLU's own tokenizer and its trained model stay as
they are. Words without Latin letters pass through unchanged.
"""

from __future__ import annotations

import re

from nlu.normalize import tokenize as _tokenize

__all__ = ["latin_kazakh", "tokenize"]

_APOSTROPHES = "'’ʼ`´‘"
# Two- and three-letter sequences of the 2017 alphabet, longest first.
_APOSTROPHE_LETTERS = (
    ("s'h", "sh"),
    ("c'h", "ch"),
    ("s'", "sh"),
    ("c'", "ch"),
    ("a'", "ä"),
    ("o'", "ö"),
    ("u'", "ü"),
    ("y'", "ū"),
    ("g'", "ğ"),
    ("n'", "ñ"),
    ("i'", "i"),
)
_APOSTROPHE_RE = re.compile("|".join(re.escape(a) for a, _ in _APOSTROPHE_LETTERS))
_APOSTROPHE_MAP = dict(_APOSTROPHE_LETTERS)
_LETTERS = str.maketrans({"ý": "u", "ı": "i", "\u0307": ""})
_LATIN_RE = re.compile(r"[a-zà-ɏ]")
_STRAY_APOSTROPHE = re.compile(f"[{_APOSTROPHES[1:]}]")


def latin_kazakh(text: str) -> str:
    """``text`` with the older Latin alphabets' letters rewritten in the 2021/informal spelling."""
    lowered = text.lower()
    if not _LATIN_RE.search(lowered):
        return text
    lowered = _STRAY_APOSTROPHE.sub("'", lowered).translate(_LETTERS)
    if "'" in lowered:
        lowered = _APOSTROPHE_RE.sub(lambda m: _APOSTROPHE_MAP[m.group(0)], lowered)
    return lowered


def tokenize(text: str) -> list[str]:
    """The normalised words of ``text``, the older Latin alphabets included."""
    return _tokenize(latin_kazakh(text))
