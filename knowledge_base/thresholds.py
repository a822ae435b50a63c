"""Where a search score becomes an answer, a "did you mean" choice or nothing.

The search (:mod:`knowledge_base.search`) ranks entries with raw scores from 0 to 1; the
:class:`Thresholds` here turn a ranking into what the student sees. They are fitted on the
project's labelled tuning queries by ``kelisim kb calibrate``
(:func:`knowledge_base.evaluation.fit_thresholds`) and shipped in
``knowledge_base/thresholds.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

__all__ = ["THRESHOLDS_PATH", "Match", "SearchResult", "Thresholds", "calibrated_thresholds"]

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.json")


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
