"""The whole decision on a labelled query file: what a student would get — the right FAQ
answer, a wrong one, "did you mean" buttons, or another route (a journey, the incident path,
small talk) — through the NLU at RASA_URL (the keyword rules when it is down), the incident
safety net and the knowledge base, exactly as the bot decides.

    RASA_URL=http://127.0.0.1:5005 .venv/bin/python -m benchmarks.decision_eval \\
        knowledge_base/eval/queries-test.tsv

`kelisim kb eval` measures the knowledge-base search alone; this measures what reaches the
student. Queries whose expected entry is NONE are off-topic: they should not get an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli_store import with_store
from bot.services.dialogue import Action, Decision, decide
from knowledge_base.evaluation import LabelledQuery, read_queries


@dataclass
class Tally:
    answerable: int = 0
    correct: int = 0
    wrong: int = 0
    found: int = 0
    off_topic: int = 0
    off_topic_ok: int = 0
    elsewhere: collections.Counter[str] = field(default_factory=collections.Counter)

    def add(self, expected: str, decision: Decision) -> None:
        answered = decision.action == Action.ANSWER
        if expected == "NONE":
            self.off_topic += 1
            self.off_topic_ok += not answered
            return
        self.answerable += 1
        if answered and decision.entry_id == expected:
            self.correct += 1
        elif answered:
            self.wrong += 1
        if decision.entry_id == expected or expected in decision.suggestions:
            self.found += 1
        if not (answered and decision.entry_id == expected):
            route = decision.action.value
            if decision.action in (Action.INTENT, Action.SMALL_TALK):
                route += ":" + decision.intent
            self.elsewhere[route] += 1

    def report(self) -> str:
        n = max(self.answerable, 1)
        return "\n".join(
            [
                f"answerable {self.answerable}: correct {self.correct} ({self.correct / n:.3f}), "
                f"wrong {self.wrong} ({self.wrong / n:.3f}), "
                f"found (answer or buttons) {self.found} ({self.found / n:.3f})",
                f"off-topic not answered: {self.off_topic_ok}/{self.off_topic}",
                "answerable but not answered right, by route: "
                + ", ".join(f"{k} {v}" for k, v in self.elsewhere.most_common()),
            ]
        )


async def evaluate(app: Any, queries: list[LabelledQuery]) -> Tally:
    tally = Tally()
    threshold = app.settings.intent_threshold
    for query in queries:
        parsed = await app.nlu.parse(query.text)
        search = app.kb.search(query.text, None)
        tally.add(query.expected, decide(query.text, parsed, search, threshold))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("queries", type=Path)
    args = parser.parse_args()
    queries = read_queries(args.queries)
    tally = asyncio.run(with_store(lambda app: evaluate(app, queries)))
    print(tally.report())


if __name__ == "__main__":
    main()
