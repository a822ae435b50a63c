"""Finding the FAQ entry a student's question is about.

Students write Kazakh in standard Cyrillic, in Russian letters, in Latin script, and Russian
with typos, so every text goes through :mod:`nlu.normalize` first and all of them meet in one
folded alphabet. Both languages of every entry are indexed: a student using the Kazakh
interface may well ask in Russian.

Words are compared loosely, because Kazakh stacks suffixes and Russian inflects:

* two words match when they share a long enough beginning (``жатақхана`` / ``жатақханаға``,
  ``общежитие`` / ``общежитии``), scored by how much of each word the shared part covers;
* a word of five letters or more also matches with one letter wrong, missing or extra in its
  first six letters (``стипендия`` / ``стипендя`` / ``степендию``), through an index of the
  stems with one letter deleted, so no query compares itself against the whole vocabulary.

An entry's score is how much of the question it explains (query words weighted by rarity,
matched by the entry's question or one paraphrase, and weakly by its answer) times a small
reward for covering that paraphrase well. Stop words of both languages (in every spelling)
are dropped first, so "как", "қалай" or "qalay" never make a match. Scores lie in 0..1;
where a score becomes an answer is decided by :class:`Thresholds`, fitted on the project's
labelled queries by ``kelisim kb calibrate``.

Words also meet through their morphology (:mod:`knowledge_base.morphology`: Russian lemmas,
Kazakh stems) and through the bilingual lexicon (:mod:`knowledge_base.lexicon`): a query word
stands for every indexed word with the same key, and for every word of its concept group.
"""

from __future__ import annotations

import heapq
import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from knowledge_base.lexicon import Lexicon, default_lexicon
from knowledge_base.morphology import word_key
from knowledge_base.schema import LANGUAGES, FaqItem
from knowledge_base.spelling import tokenize
from knowledge_base.stopwords import STOP_WORDS as _STOP_WORDS

__all__ = [
    "THRESHOLDS_PATH",
    "FaqIndex",
    "Match",
    "SearchResult",
    "Thresholds",
    "calibrated_thresholds",
]

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.json")


@dataclass(frozen=True)
class Thresholds:
    """Where a score becomes an answer, a "did you mean" choice or nothing.

    Fitted on the project's labelled tuning queries by ``kelisim kb calibrate`` and stored in
    ``knowledge_base/thresholds.json``; never set by hand.
    """

    # Below this nothing is worth showing, not even as "did you mean".
    min_score: float = 0.25
    # The best match is answered outright only when it is this strong ...
    confident_score: float = 0.55
    # ... and this far ahead of the runner-up.
    confident_margin: float = 0.08
    # "Did you mean" choices must be at least this fraction of the best score.
    relative_to_best: float = 0.6
    # A weaker best match is still answered when it leads the runner-up by this much: a
    # question with a typo or a filler word explains less of itself, yet only one entry fits.
    lead_score: float = 1.01
    lead_margin: float = 1.0

    @classmethod
    def load(cls, path: Path = THRESHOLDS_PATH) -> Thresholds:
        """The thresholds stored at ``path``; the defaults when there is no file."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{f.name: float(data[f.name]) for f in fields(cls) if f.name in data})

    def as_dict(self) -> dict[str, float]:
        """The thresholds as plain numbers, the shape of the JSON file."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def confident(self, best: float, runner_up: float) -> bool:
        """Whether a best score this far ahead of the runner-up is answered outright."""
        margin = best - runner_up
        return (best >= self.confident_score and margin >= self.confident_margin) or (
            best >= self.lead_score and margin >= self.lead_margin
        )

    def apply(self, ranked: Sequence[Match], limit: int = 3) -> SearchResult:
        """The answer, the choices or nothing, from raw matches ranked best first."""
        if not ranked:
            return SearchResult([], False)
        best = ranked[0].score
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        confident = self.confident(best, runner_up)
        matches = [
            match
            for match in ranked[:limit]
            if match.score >= self.min_score and match.score >= best * self.relative_to_best
        ]
        return SearchResult(matches, confident and bool(matches))


@lru_cache(maxsize=1)
def calibrated_thresholds() -> Thresholds:
    """The thresholds shipped with the project (``knowledge_base/thresholds.json``)."""
    return Thresholds.load()


# A query word found only in an entry's answer counts this much of a question match.
_ANSWER_WEIGHT = 0.25
# A query word the knowledge base has never seen weighs this much of the rarest known word:
# enough that off-topic words pull a score down, not so much that one filler word sinks it.
_UNKNOWN_WEIGHT = 0.85
_MIN_WORD_SIMILARITY = 0.5
_STEM = 6  # letters of a word's beginning that the typo index looks at
_TYPO_MIN_LENGTH = 5
_TYPO_SIMILARITY = 0.75
_TYPO_OTHER_ENDING = 0.6
_DF_KEY = 5  # words sharing this many first letters count as one word for rarity
# Share of a score kept when a paraphrase's own words are not covered at all: covering them
# adds the rest, so a question matching a whole paraphrase beats one matching a few words of it.
_NO_COVERAGE = 0.4
_MAX_SCORED = 40  # candidates scored exactly per search
_MAX_QUERY_CHARS = 1000
_MAX_QUERY_WORDS = 40
# A query word matched by another paraphrase of the same entry (not the one being scored)
# counts this much: students combine the wording of several paraphrases.
_OTHER_PARAPHRASES = 0.5
# Two forms of one word (same Russian lemma or Kazakh stem) match almost like the same form;
# two words of one lexicon group (дискриминация / кемсіту / притеснять) a little less, so that
# the entry using the student's own word still wins a tie.
_SAME_KEY = 0.95
_SAME_CONCEPT = 0.8
# A query word matched to a vocabulary word at least this well also brings that word's
# lexicon group (a typo of a synonym still finds the synonym's entry).
_CONCEPT_VIA_MATCH = 0.75
_MAX_CACHED_EXPANSIONS = 50_000


@dataclass(frozen=True)
class Match:
    """An entry that fits the question, with a score from 0 to 1."""

    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The entries that fit, best first, and whether the best may be answered outright."""

    matches: list[Match]
    confident: bool

    @property
    def best(self) -> Match | None:
        """The best match, or None when nothing fits at all."""
        return self.matches[0] if self.matches else None

    @property
    def alternatives(self) -> list[str]:
        """The ids offered besides the best one as "did you mean" choices."""
        return [match.id for match in self.matches[1:]]


@lru_cache(maxsize=65536)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # Words never span whitespace, so tokenising chunk by chunk gives the same words, and the
    # chunks repeat enough across a knowledge base for the cache to pay.
    return tuple(
        word
        for word in tokenize(chunk)
        if word not in _STOP_WORDS and (len(word) >= 2 or word.isdigit())
    )


def _content_words(text: str) -> list[str]:
    """The normalised words of ``text`` that carry meaning, each once, in order."""
    kept: dict[str, None] = {}
    for chunk in unicodedata.normalize("NFC", text).split():
        for word in _chunk_words(chunk):
            kept[word] = None
    return list(kept)


def _query_words(text: str) -> list[str]:
    # A pasted essay must not cost more than a question: the first words are the question.
    return _content_words(text[:_MAX_QUERY_CHARS])[:_MAX_QUERY_WORDS]


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


class FaqIndex:
    """A search index over the published entries, built once and queried many times.

    Entries are scored in two steps: an inverted index over words gives each entry an upper
    bound (how much of the question its words could explain), then the best candidates are
    scored exactly paraphrase by paraphrase, stopping once no bound can beat the results.
    """

    def __init__(
        self,
        items: Iterable[FaqItem] = (),
        lexicon: Lexicon | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        """Index the published ``items``; unpublished ones are left out entirely.

        ``lexicon`` joins synonyms across the two languages and ``thresholds`` decide what is
        answered (the shipped, calibrated ones by default).
        """
        self._lexicon = default_lexicon() if lexicon is None else lexicon
        # Query words repeat across students; expanding one (prefixes, typos, word forms, the
        # lexicon) is the costliest part of a short search, so it is done once per index.
        self._expansions: dict[str, dict[int, float]] = {}
        self.thresholds = calibrated_thresholds() if thresholds is None else thresholds
        self._ids: list[str] = []
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        # Entries whose question or paraphrases contain the word / only whose answer does.
        self._question_postings: list[list[int]] = []
        self._answer_postings: list[list[int]] = []
        # Per entry: its paraphrases as (language, word ids, total weight of those words).
        self._phrasings: list[list[tuple[str, tuple[int, ...], float]]] = []
        self._by_prefix4: dict[str, list[int]] = {}
        self._short_by_prefix3: dict[str, list[int]] = {}  # words of at most 4 letters
        self._mid_by_prefix3: dict[str, list[int]] = {}  # words of at most 9 letters
        self._stems_by_deletion: dict[str, list[str]] = {}
        self._words_by_stem: dict[str, list[int]] = {}
        self._idf_by_key: dict[str, float] = {}
        self._idf: list[float] = []

        seen: set[str] = set()
        phrasing_words: list[list[tuple[str, list[int]]]] = []
        df: dict[str, int] = {}
        df_answers: dict[str, int] = {}
        for item in items:
            if not item.published:
                continue
            if item.id in seen:
                raise ValueError(f"duplicate FAQ id {item.id!r}")
            seen.add(item.id)
            entry = len(self._ids)
            self._ids.append(item.id)

            texts = [(lang, item.question[lang]) for lang in LANGUAGES if lang in item.question]
            texts += [
                (lang, text) for lang in LANGUAGES for text in item.alternatives.get(lang, ())
            ]
            entry_phrasings: list[tuple[str, list[int]]] = []
            in_question: set[int] = set()
            for lang, text in texts:
                ids = [self._word_id(word) for word in _content_words(text)]
                if ids:
                    entry_phrasings.append((lang, ids))
                    in_question.update(ids)
            in_answer: set[int] = set()
            for lang in LANGUAGES:
                if lang in item.answer:
                    in_answer.update(self._word_id(w) for w in _content_words(item.answer[lang]))
            in_answer -= in_question

            for word_id in in_question:
                self._question_postings[word_id].append(entry)
            for word_id in in_answer:
                self._answer_postings[word_id].append(entry)
            # Rarity is judged on the questions, where a student's words are looked for: a word
            # that many answers mention (curator, consultation) may still single out a question.
            for key in {self._df_key(self._words[w]) for w in in_question}:
                df[key] = df.get(key, 0) + 1
            for key in {self._df_key(self._words[w]) for w in in_answer}:
                df_answers[key] = df_answers.get(key, 0) + 1
            phrasing_words.append(entry_phrasings)

        # Typos are looked for in question words only: the answers' many words would make the
        # typo index several times larger for matches that count little anyway.
        for word_id, postings in enumerate(self._question_postings):
            if postings:
                self._index_typos(word_id)

        # Morphology and the lexicon: vocabulary words by their key and by their concept.
        self._by_key: dict[str, list[int]] = {}
        self._by_concept: dict[str, list[int]] = {}
        self._word_concepts: list[tuple[str, ...]] = []
        for word_id, word in enumerate(self._words):
            key = word_key(word)
            self._by_key.setdefault(key, []).append(word_id)
            concepts = self._lexicon.concepts_of_key(key)
            self._word_concepts.append(concepts)
            for concept in concepts:
                self._by_concept.setdefault(concept, []).append(word_id)

        total = max(len(self._ids), 1)
        for key, count in df_answers.items():
            df.setdefault(key, count)
        self._idf_by_key = {key: math.log(1 + total / count) for key, count in df.items()}
        self._idf = [self._idf_by_key[self._df_key(word)] for word in self._words]
        self._unknown_weight = _UNKNOWN_WEIGHT * math.log(1 + total)
        for entry_phrasings in phrasing_words:
            self._phrasings.append(
                [
                    (lang, tuple(ids), sum(self._idf[w] for w in ids))
                    for lang, ids in entry_phrasings
                ]
            )

    def __len__(self) -> int:
        """How many entries can be found."""
        return len(self._ids)

    def search(self, text: str, lang: str | None = None, limit: int = 3) -> SearchResult:
        """The entries that fit ``text`` best (at most ``limit``), and whether to answer outright.

        ``lang`` is the student's language; every language is searched whatever it is, and it
        only breaks ties in favour of entries phrased in that language.
        """
        ranked = self.rank(text, lang, max(limit, 2), floor=self.thresholds.min_score)
        return self.thresholds.apply(ranked, limit)

    def rank(
        self, text: str, lang: str | None = None, limit: int = 3, floor: float = 0.1
    ) -> list[Match]:
        """The ``limit`` best entries with their raw scores, best first, none below ``floor``.

        No threshold is applied beyond ``floor``: this is what calibration looks at.
        """
        if lang is not None and lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        terms = self._query_terms(text)
        if not terms or not self._ids:
            return []
        query_mass = sum(weight for weight, _ in terms)

        # Step 1: per entry, an upper bound of the share of the query it can explain.
        bounds: dict[int, float] = {}
        question_hits: list[dict[int, float]] = []
        answer_hits: list[dict[int, float]] = []
        for weight, expansion in terms:
            in_question: dict[int, float] = {}
            in_answer: dict[int, float] = {}
            # Lowest similarity first: each later, better match overwrites, all in C loops.
            for word_id, similarity in sorted(expansion.items(), key=lambda kv: kv[1]):
                in_question.update(dict.fromkeys(self._question_postings[word_id], similarity))
                answer_similarity = similarity * _ANSWER_WEIGHT
                in_answer.update(dict.fromkeys(self._answer_postings[word_id], answer_similarity))
            get = bounds.get
            for entry, similarity in in_question.items():
                bounds[entry] = get(entry, 0.0) + weight * similarity
            for entry, similarity in in_answer.items():
                gain = similarity - in_question.get(entry, 0.0)
                if gain > 0:
                    bounds[entry] = get(entry, 0.0) + weight * gain
            question_hits.append(in_question)
            answer_hits.append(in_answer)

        mass_floor = floor * query_mass
        # Past the first few dozen, equal bounds mean many near-identical entries: the answer
        # is not confident anyway, so scoring every one of them would buy nothing.
        candidates = heapq.nlargest(
            _MAX_SCORED,
            ((bound, entry) for entry, bound in bounds.items() if bound >= mass_floor),
        )
        if not candidates:
            return []

        # Step 2: exact scores, paraphrase by paraphrase, while a bound can still matter.
        weights = [weight for weight, _ in terms]
        wanted = limit
        by_word: dict[int, list[tuple[int, float]]] = {}
        for term, (_, expansion) in enumerate(terms):
            for word_id, similarity in expansion.items():
                by_word.setdefault(word_id, []).append((term, similarity))
        scored: list[tuple[float, bool, int]] = []
        for bound, entry in candidates:
            bound_score = bound / query_mass
            if len(scored) >= wanted and bound_score < scored[0][0]:
                break
            score, in_lang = self._score_entry(
                entry, weights, by_word, question_hits, answer_hits, lang
            )
            score /= query_mass
            if len(scored) < wanted:
                heapq.heappush(scored, (score, in_lang, entry))
            elif (score, in_lang) > scored[0][:2]:
                heapq.heapreplace(scored, (score, in_lang, entry))

        return [
            Match(self._ids[entry], round(score, 4))
            for score, _, entry in sorted(scored, reverse=True)
            if score >= floor
        ]

    # -- building ---------------------------------------------------------------------------

    def _word_id(self, word: str) -> int:
        word_id = self._vocab.get(word)
        if word_id is not None:
            return word_id
        word_id = len(self._words)
        self._vocab[word] = word_id
        self._words.append(word)
        self._question_postings.append([])
        self._answer_postings.append([])
        if len(word) >= 4:
            self._by_prefix4.setdefault(word[:4], []).append(word_id)
        if len(word) >= 3:
            if len(word) <= 4:
                self._short_by_prefix3.setdefault(word[:3], []).append(word_id)
            if len(word) <= 9:
                self._mid_by_prefix3.setdefault(word[:3], []).append(word_id)
        return word_id

    def _index_typos(self, word_id: int) -> None:
        """Make a question word findable with one letter wrong, missing or extra in its stem."""
        word = self._words[word_id]
        if len(word) < _TYPO_MIN_LENGTH:
            return
        stem = word[:_STEM]
        stem_words = self._words_by_stem.get(stem)
        if stem_words is None:
            self._words_by_stem[stem] = stem_words = []
            for key in (stem, *_deletions(stem)):
                self._stems_by_deletion.setdefault(key, []).append(stem)
        stem_words.append(word_id)

    @staticmethod
    def _df_key(word: str) -> str:
        return word[:_DF_KEY]

    # -- searching --------------------------------------------------------------------------

    def _query_terms(self, text: str) -> list[tuple[float, dict[int, float]]]:
        """Each meaningful query word as (weight, {vocabulary word id: similarity})."""
        terms: list[tuple[float, dict[int, float]]] = []
        for word in _query_words(text):
            expansion = self._expand(word)
            weight = self._idf_by_key.get(self._df_key(word))
            if weight is None:
                if expansion:
                    best = max(expansion, key=lambda w: (expansion[w], self._idf[w]))
                    weight = self._idf[best]
                else:
                    weight = self._unknown_weight
            terms.append((weight, expansion))
        return terms

    def _expand(self, word: str) -> dict[int, float]:
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
        exact = self._vocab.get(word)
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
        words = self._words
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

    def _score_entry(
        self,
        entry: int,
        weights: list[float],
        by_word: dict[int, list[tuple[int, float]]],
        question_hits: list[dict[int, float]],
        answer_hits: list[dict[int, float]],
        lang: str | None,
    ) -> tuple[float, bool]:
        """The entry's best paraphrase score (not yet divided by the query's weight)."""
        # Per query word: its match in the answer, which every paraphrase gets in full, and its
        # best match anywhere in the entry, which a paraphrase lacking it gets part credit for.
        from_answer: list[float] = []
        from_entry: list[float] = []
        base = 0.0
        for term, weight in enumerate(weights):
            in_answer = answer_hits[term].get(entry, 0.0)
            anywhere = max(in_answer, question_hits[term].get(entry, 0.0))
            from_answer.append(in_answer)
            from_entry.append(anywhere)
            base += weight * (in_answer + _OTHER_PARAPHRASES * (anywhere - in_answer))
        best = base * _NO_COVERAGE
        best_in_lang = False
        idf = self._idf
        for phrasing_lang, word_ids, mass in self._phrasings[entry]:
            from_question: dict[int, float] = {}
            covered = 0.0
            for word_id in word_ids:
                hits = by_word.get(word_id)
                if hits is None:
                    continue
                top = 0.0
                for term, similarity in hits:
                    if similarity > from_question.get(term, 0.0):
                        from_question[term] = similarity
                    if similarity > top:
                        top = similarity
                covered += top * idf[word_id]
            explained = base
            for term, similarity in from_question.items():
                if similarity > from_answer[term]:
                    # Full credit for this paraphrase's own match instead of the part credit.
                    part = _OTHER_PARAPHRASES * (from_entry[term] - from_answer[term])
                    explained += weights[term] * (similarity - from_answer[term] - part)
            coverage = min(1.0, covered / mass)
            score = explained * (_NO_COVERAGE + (1 - _NO_COVERAGE) * coverage)
            in_lang = phrasing_lang == lang
            if (score, in_lang) > (best, best_in_lang):
                best, best_in_lang = score, in_lang
        return best, best_in_lang
