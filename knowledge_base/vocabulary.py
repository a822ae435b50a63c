"""The words of an index, and which of them a student's word may stand for.

Students write Kazakh in standard Cyrillic, in Russian letters, in Latin script, and Russian
with typos, so every text goes through :mod:`knowledge_base.spelling` and
:mod:`nlu.normalize` first and all of them meet in one folded alphabet. Stop words of both
languages (in every spelling) are dropped, so "как", "қалай" or "qalay" never make a match.

A query word then stands for indexed words that are:

* the same word, or share a long enough beginning (``жатақхана`` / ``жатақханаға``), scored by
  how much of each word the shared part covers;
* the same word with one letter wrong, missing or extra in its first six letters
  (``стипендия`` / ``стипендя``), through an index of stems with one letter deleted, so no query
  compares itself against the whole vocabulary;
* another form of it (:mod:`knowledge_base.morphology`: a Russian lemma, a Kazakh stem);
* a word of its concept group in the bilingual lexicon (:mod:`knowledge_base.lexicon`).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from knowledge_base.lexicon import Lexicon
from knowledge_base.morphology import word_key
from knowledge_base.spelling import tokenize
from knowledge_base.stopwords import STOP_WORDS

__all__ = ["Vocabulary", "content_words", "query_words"]

_MIN_WORD_SIMILARITY = 0.5
_STEM = 6  # letters of a word's beginning that the typo index looks at
_TYPO_MIN_LENGTH = 5
_TYPO_SIMILARITY = 0.75
_TYPO_OTHER_ENDING = 0.6
_MAX_QUERY_CHARS = 1000
_MAX_QUERY_WORDS = 40
# Two forms of one word (same Russian lemma or Kazakh stem) match almost like the same form;
# two words of one lexicon group (дискриминация / кемсіту / притеснять) a little less, so that
# the entry using the student's own word still wins a tie.
_SAME_KEY = 0.95
_SAME_CONCEPT = 0.8
# A query word matched to a vocabulary word at least this well also brings that word's
# lexicon group (a typo of a synonym still finds the synonym's entry).
_CONCEPT_VIA_MATCH = 0.75
_MAX_CACHED_EXPANSIONS = 50_000


@lru_cache(maxsize=65536)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # Words never span whitespace, so tokenising chunk by chunk gives the same words, and the
    # chunks repeat enough across a knowledge base for the cache to pay.
    return tuple(
        word
        for word in tokenize(chunk)
        if word not in STOP_WORDS and (len(word) >= 2 or word.isdigit())
    )


def content_words(text: str) -> list[str]:
    """The normalised words of ``text`` that carry meaning, each once, in order."""
    kept: dict[str, None] = {}
    for chunk in unicodedata.normalize("NFC", text).split():
        for word in _chunk_words(chunk):
            kept[word] = None
    return list(kept)


def query_words(text: str) -> list[str]:
    """The content words of a student's question; a pasted essay costs no more than a question."""
    return content_words(text[:_MAX_QUERY_CHARS])[:_MAX_QUERY_WORDS]


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _prefix_similarity(a: str, b: str) -> float:
    """How alike two different words are by their shared beginning (0 when unrelated).

    The unmatched tail of the shorter word costs more than that of the longer one: an added
    suffix is normal (``тіл`` / ``тілдер``), a different ending on a short word is a different
    word (``курс`` / ``куратор``).
    """
    shared = _common_prefix(a, b)
    if shared < 3:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    score = shared / (shared + 1.5 * (len(short) - shared) + 0.5 * (len(long_) - shared))
    return score if score >= _MIN_WORD_SIMILARITY else 0.0


def _deletions(stem: str) -> list[str]:
    # A slip in the stem's last letter leaves its first letters shared, which the prefix
    # comparison already scores; indexing it here too would match unrelated words.
    return [stem[:i] + stem[i + 1 :] for i in range(len(stem) - 1)]


class Vocabulary:
    """Every word of an index by id, with the tables that find a query word's matches."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self.words: list[str] = []
        self._ids: dict[str, int] = {}
        self._by_prefix4: dict[str, list[int]] = {}
        self._short_by_prefix3: dict[str, list[int]] = {}  # words of at most 4 letters
        self._mid_by_prefix3: dict[str, list[int]] = {}  # words of at most 9 letters
        self._stems_by_deletion: dict[str, list[str]] = {}
        self._words_by_stem: dict[str, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        self._by_concept: dict[str, list[int]] = {}
        self._word_concepts: list[tuple[str, ...]] = []
        # Query words repeat across students; expanding one is the costliest part of a short
        # search, so it is done once per vocabulary.
        self._expansions: dict[str, dict[int, float]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def word_id(self, word: str) -> int:
        """The id of ``word``, added to the vocabulary if it is new."""
        word_id = self._ids.get(word)
        if word_id is not None:
            return word_id
        word_id = len(self.words)
        self._ids[word] = word_id
        self.words.append(word)
        if len(word) >= 4:
            self._by_prefix4.setdefault(word[:4], []).append(word_id)
        if len(word) >= 3:
            if len(word) <= 4:
                self._short_by_prefix3.setdefault(word[:3], []).append(word_id)
            if len(word) <= 9:
                self._mid_by_prefix3.setdefault(word[:3], []).append(word_id)
        return word_id

    def index_typos(self, word_id: int) -> None:
        """Make a word findable with one letter wrong, missing or extra in its stem."""
        word = self.words[word_id]
        if len(word) < _TYPO_MIN_LENGTH:
            return
        stem = word[:_STEM]
        stem_words = self._words_by_stem.get(stem)
        if stem_words is None:
            self._words_by_stem[stem] = stem_words = []
            for key in (stem, *_deletions(stem)):
                self._stems_by_deletion.setdefault(key, []).append(stem)
        stem_words.append(word_id)

    def index_forms(self) -> None:
        """Group every word by its key (word form) and its lexicon concepts; call once, last."""
        for word_id in range(len(self._word_concepts), len(self.words)):
            key = word_key(self.words[word_id])
            self._by_key.setdefault(key, []).append(word_id)
            concepts = self._lexicon.concepts_of_key(key)
            self._word_concepts.append(concepts)
            for concept in concepts:
                self._by_concept.setdefault(concept, []).append(word_id)

    def expand(self, word: str) -> dict[int, float]:
        """The vocabulary words ``word`` may stand for, with how alike they are (cached)."""
        found = self._expansions.get(word)
        if found is None:
            if len(self._expansions) >= _MAX_CACHED_EXPANSIONS:
                self._expansions.clear()
            found = self._expansions[word] = self._expand_uncached(word)
        return found

    def _expand_uncached(self, word: str) -> dict[int, float]:
        found = self._expand_spelling(word)
        if word.startswith("е") and len(word) >= 4:
            # Latin and Russian-letter Kazakh write the «э» of loanwords as «e»: «etnos» is
            # «этнос», «ekskursiya» is «экскурсия».
            for word_id, similarity in self._expand_spelling("э" + word[1:]).items():
                if similarity > found.get(word_id, 0.0):
                    found[word_id] = similarity
        return found

    def _expand_spelling(self, word: str) -> dict[int, float]:
        found: dict[int, float] = {}
        exact = self._ids.get(word)
        if exact is not None:
            found[exact] = 1.0

        candidates: set[int] = set()
        if len(word) >= 4:
            candidates.update(self._by_prefix4.get(word[:4], ()))
        if len(word) >= 3:
            if len(word) <= 4:
                candidates.update(self._mid_by_prefix3.get(word[:3], ()))
            elif len(word) <= 9:
                candidates.update(self._short_by_prefix3.get(word[:3], ()))
        words = self.words
        for word_id in candidates:
            if word_id != exact:
                similarity = _prefix_similarity(word, words[word_id])
                if similarity:
                    found[word_id] = similarity

        if len(word) >= _TYPO_MIN_LENGTH:
            stem = word[:_STEM]
            stems: set[str] = set()
            for key in (stem, *_deletions(stem)):
                stems.update(self._stems_by_deletion.get(key, ()))
            stems.discard(stem)
            for other in stems:
                for word_id in self._words_by_stem[other]:
                    other_word = words[word_id]
                    # One slip in the stem; the ending may differ like any inflection.
                    same_ending = abs(len(other_word) - len(word)) <= 1
                    similarity = _TYPO_SIMILARITY if same_ending else _TYPO_OTHER_ENDING
                    if similarity > found.get(word_id, 0.0):
                        found[word_id] = similarity

        # Other forms of the same word, then words of the same lexicon group.
        key = word_key(word)
        for word_id in self._by_key.get(key, ()):
            if found.get(word_id, 0.0) < _SAME_KEY:
                found[word_id] = _SAME_KEY
        concepts = {concept: 1.0 for concept in self._lexicon.concepts(word)}
        for word_id, similarity in list(found.items()):
            if similarity >= _CONCEPT_VIA_MATCH:
                for concept in self._word_concepts[word_id]:
                    if similarity > concepts.get(concept, 0.0):
                        concepts[concept] = similarity
        for concept, strength in concepts.items():
            similarity = _SAME_CONCEPT * strength
            for word_id in self._by_concept.get(concept, ()):
                if similarity > found.get(word_id, 0.0):
                    found[word_id] = similarity
        return found
