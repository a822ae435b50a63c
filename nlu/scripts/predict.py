"""Predict the intent of every example of Rasa NLU test files, one JSON line per example.

Runs under the Rasa virtualenv's Python (``nlu.rasa_runner.evaluate`` starts it) with the
project root on ``PYTHONPATH``, so the custom tokenizer loads. The model is used in-process,
without a server. Usage: ``python nlu/scripts/predict.py MODEL.tar.gz TEST.yml...``.

Each output line: ``{"file", "text", "expected", "intent", "confidence", "top", "top_confidence",
"expected_entities", "entities"}`` where ``intent`` may be ``nlu_fallback`` and ``top`` is
the model's best real intent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# TensorFlow's start-up chatter would drown the progress of the evaluation.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FALLBACK_INTENT = "nlu_fallback"


def _entities(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "entity": e.get("entity"),
            "value": e.get("value"),
            "start": e.get("start"),
            "end": e.get("end"),
        }
        for e in items
    ]


async def _predict(model: Path, files: list[Path]) -> None:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(model)
    for path in files:
        data = load_data(str(path))
        for example in data.intent_examples:
            text = example.get("text")
            parsed = await agent.parse_message(text)
            ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
            top = ranking[0] if ranking else parsed["intent"]
            row = {
                "file": path.stem,
                "text": text,
                "expected": example.get("intent"),
                "intent": parsed["intent"]["name"],
                "confidence": parsed["intent"]["confidence"],
                "top": top["name"],
                "top_confidence": top["confidence"],
                "expected_entities": _entities(example.get("entities") or []),
                "entities": _entities(parsed.get("entities") or []),
            }
            print(json.dumps(row, ensure_ascii=False), flush=True)


def main(argv: list[str]) -> int:
    """Entry point: ``argv`` is the model path followed by the test files."""
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_predict(Path(argv[0]), [Path(p) for p in argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
