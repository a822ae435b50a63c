"""Finding the FAQ entry a student's question is about.

Both languages of every entry are indexed: a student using the Kazakh interface may well ask
in Russian. Which indexed words a student's word stands for (word forms, typos, the lexicon's
synonyms across the two languages) is :mod:`knowledge_base.vocabulary`'s job; this module
scores entries.

An entry's score is how much of the question it explains (query words weighted by rarity,
matched by the entry's question or one paraphrase, and weakly by its answer) times a small
reward for covering that paraphrase well. Scores lie in 0..1; where a score becomes an answer
is decided by :class:`knowledge_base.thresholds.Thresholds`, fitted on the project's labelled
queries by ``kelisim kb calibrate``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from knowledge_base.lexicon import Lexicon, default_lexicon
from knowledge_base.schema import LANGUAGES, FaqItem
from knowledge_base.thresholds import (
    THRESHOLDS_PATH,
    Match,
    SearchResult,
    Thresholds,
    calibrated_thresholds,
)
from knowledge_base.vocabulary import Vocabulary, content_words, query_words

__all__ = [
    "THRESHOLDS_PATH",
    "FaqIndex",
    "Match",
    "SearchResult",
    "Thresholds",
    "calibrated_thresholds",
]

# A query word found only in an entry's answer counts this much of a question match.
_ANSWER_WEIGHT = 0.25
# A query word the knowledge base has never seen weighs this much of the rarest known word:
# enough that off-topic words pull a score down, not so much that one filler word sinks it.
_UNKNOWN_WEIGHT = 0.85
_DF_KEY = 5  # words sharing this many first letters count as one word for rarity
# Share of a score kept when a paraphrase's own words are not covered at all: covering them
# adds the rest, so a question matching a whole paraphrase beats one matching a few words of it.
_NO_COVERAGE = 0.4
_MAX_SCORED = 40  # candidates scored exactly per search
# A query word matched by another paraphrase of the same entry (not the one being scored)
# counts this much: students combine the wording of several paraphrases.
_OTHER_PARAPHRASES = 0.5
# Query words' entry hits kept ready, counted in hits (12 bytes each): about 25 MB at most.
_MAX_CACHED_HITS = 2_000_000

_Ints = npt.NDArray[np.int32]
_Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Term:
    """One query word: its weight, the words it stands for, and the entries they occur in.

    ``entries`` is sorted; ``in_question`` and ``in_answer`` hold the word's best similarity
    in each entry's questions and (already weighted) in its answer.
    """

    weight: float
    expansion: dict[int, float]
    entries: _Ints
    in_question: _Floats
    in_answer: _Floats


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
        self._vocabulary = Vocabulary(default_lexicon() if lexicon is None else lexicon)
        self.thresholds = calibrated_thresholds() if thresholds is None else thresholds
        self._terms: dict[str, _Term] = {}
        self._cached_hits = 0
        self._ids: list[str] = []
        # Entries whose question or paraphrases contain the word / only whose answer does.
        self._question_postings: list[list[int]] = []
        self._answer_postings: list[list[int]] = []
        # Per entry: its paraphrases as (language, word ids, total weight of those words).
        self._phrasings: list[list[tuple[str, tuple[int, ...], float]]] = []

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
                ids = [self._word_id(word) for word in content_words(text)]
                if ids:
                    entry_phrasings.append((lang, ids))
                    in_question.update(ids)
            in_answer: set[int] = set()
            for lang in LANGUAGES:
                if lang in item.answer:
                    in_answer.update(self._word_id(w) for w in content_words(item.answer[lang]))
            in_answer -= in_question

            for word_id in in_question:
                self._question_postings[word_id].append(entry)
            for word_id in in_answer:
                self._answer_postings[word_id].append(entry)
            # Rarity is judged on the questions, where a student's words are looked for: a word
            # that many answers mention (curator, consultation) may still single out a question.
            words = self._vocabulary.words
            for key in {self._df_key(words[w]) for w in in_question}:
                df[key] = df.get(key, 0) + 1
            for key in {self._df_key(words[w]) for w in in_answer}:
                df_answers[key] = df_answers.get(key, 0) + 1
            phrasing_words.append(entry_phrasings)

        # Typos are looked for in question words only: the answers' many words would make the
        # typo index several times larger for matches that count little anyway.
        for word_id, postings in enumerate(self._question_postings):
            if postings:
                self._vocabulary.index_typos(word_id)
        self._vocabulary.index_forms()
        # The postings as arrays, so a query word's entries are gathered in a few C calls.
        self._question_arrays = [np.array(p, dtype=np.int32) for p in self._question_postings]
        self._answer_arrays = [np.array(p, dtype=np.int32) for p in self._answer_postings]

        total = max(len(self._ids), 1)
        for key, count in df_answers.items():
            df.setdefault(key, count)
        self._idf_by_key = {key: math.log(1 + total / count) for key, count in df.items()}
        self._idf = [self._idf_by_key[self._df_key(word)] for word in self._vocabulary.words]
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
        terms = [self._term(word) for word in query_words(text)]
        if not terms or not self._ids:
            return []
        query_mass = sum(term.weight for term in terms)

        # Step 1: per entry, an upper bound of the share of the query it can explain (a word's
        # entries are unique, so one vectorised addition per query word).
        bounds = np.zeros(len(self._ids))
        for term in terms:
            bounds[term.entries] += term.weight * np.maximum(term.in_question, term.in_answer)
        above = np.flatnonzero(bounds >= floor * query_mass)
        if not len(above):
            return []
        # Past the first few dozen, equal bounds mean many near-identical entries: the answer
        # is not confident anyway, so scoring every one of them would buy nothing.
        if len(above) > _MAX_SCORED:
            above = above[np.argpartition(-bounds[above], _MAX_SCORED - 1)[:_MAX_SCORED]]
        # Highest bound first; among equal bounds the later entry, as before.
        candidates = above[np.lexsort((-above, -bounds[above]))]

        # Each query word's similarity in each candidate's questions and answer.
        question_hits: list[list[float]] = []
        answer_hits: list[list[float]] = []
        for term in terms:
            if not len(term.entries):
                zeros = [0.0] * len(candidates)
                question_hits.append(zeros)
                answer_hits.append(zeros)
                continue
            at = np.minimum(np.searchsorted(term.entries, candidates), len(term.entries) - 1)
            present = term.entries[at] == candidates
            question_hits.append(np.where(present, term.in_question[at], 0.0).tolist())
            answer_hits.append(np.where(present, term.in_answer[at], 0.0).tolist())

        # Step 2: exact scores, paraphrase by paraphrase, while a bound can still matter.
        weights = [term.weight for term in terms]
        by_word: dict[int, list[tuple[int, float]]] = {}
        for index, term in enumerate(terms):
            for word_id, similarity in term.expansion.items():
                by_word.setdefault(word_id, []).append((index, similarity))
        scored: list[tuple[float, bool, int]] = []
        for rank, entry in enumerate(candidates.tolist()):
            bound_score = bounds[entry] / query_mass
            if len(scored) >= limit and bound_score < scored[0][0]:
                break
            score, in_lang = self._score_entry(
                entry,
                weights,
                by_word,
                [hits[rank] for hits in question_hits],
                [hits[rank] for hits in answer_hits],
                lang,
            )
            score /= query_mass
            if len(scored) < limit:
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
        word_id = self._vocabulary.word_id(word)
        if word_id == len(self._question_postings):
            self._question_postings.append([])
            self._answer_postings.append([])
        return word_id

    @staticmethod
    def _df_key(word: str) -> str:
        return word[:_DF_KEY]

    # -- searching --------------------------------------------------------------------------

    def _term(self, word: str) -> _Term:
        """A query word's weight, expansion and entry hits (cached: students repeat words)."""
        term = self._terms.get(word)
        if term is not None:
            return term
        expansion = self._vocabulary.expand(word)
        weight = self._idf_by_key.get(self._df_key(word))
        if weight is None:
            if expansion:
                best = max(expansion, key=lambda w: (expansion[w], self._idf[w]))
                weight = self._idf[best]
            else:
                weight = self._unknown_weight
        # Each entry's best similarity over the expanded words, in its questions and (weighted)
        # in its answer.
        in_question = self._best_per_entry(self._question_arrays, expansion, 1.0)
        in_answer = self._best_per_entry(self._answer_arrays, expansion, _ANSWER_WEIGHT)
        entries = np.flatnonzero((in_question > 0) | (in_answer > 0)).astype(np.int32)
        term = _Term(
            weight=weight,
            expansion=expansion,
            entries=entries,
            in_question=in_question[entries],
            in_answer=in_answer[entries],
        )
        if self._cached_hits + len(entries) > _MAX_CACHED_HITS:
            self._terms.clear()
            self._cached_hits = 0
        self._terms[word] = term
        self._cached_hits += len(entries)
        return term

    def _best_per_entry(
        self, postings: list[_Ints], expansion: dict[int, float], scale: float
    ) -> _Floats:
        best = np.zeros(len(self._ids), dtype=np.float32)
        arrays = [postings[word_id] for word_id in expansion]
        if arrays:
            lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
            similarities = np.fromiter(expansion.values(), dtype=np.float32, count=len(arrays))
            np.maximum.at(best, np.concatenate(arrays), np.repeat(similarities * scale, lengths))
        return best

    def _score_entry(
        self,
        entry: int,
        weights: list[float],
        by_word: dict[int, list[tuple[int, float]]],
        question_hits: list[float],
        answer_hits: list[float],
        lang: str | None,
    ) -> tuple[float, bool]:
        """The entry's best paraphrase score (not yet divided by the query's weight).

        ``question_hits`` and ``answer_hits`` hold each query word's similarity in this entry.
        """
        # Per query word: its match in the answer, which every paraphrase gets in full, and its
        # best match anywhere in the entry, which a paraphrase lacking it gets part credit for.
        from_answer: list[float] = []
        from_entry: list[float] = []
        base = 0.0
        for term, weight in enumerate(weights):
            in_answer = answer_hits[term]
            anywhere = max(in_answer, question_hits[term])
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
