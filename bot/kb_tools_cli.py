"""`kelisim kb eval`, `kelisim kb calibrate` and `kelisim ask`: measuring and explaining answers.

Kept apart from bot/cli.py, which only registers them, so the commands that judge the search
read in one place.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.cli_store import texts, with_store

DEFAULT_TUNE = Path(__file__).resolve().parents[1] / "knowledge_base" / "eval" / "queries-tune.tsv"
DEFAULT_KB = Path(__file__).resolve().parents[1] / "knowledge_base" / "data"
# The dialogue reads a message this far (the rest of a pasted essay is not a question).
MAX_QUESTION_CHARS = 1_000


def _settings(**overrides: Any) -> Any:
    from bot.config import Settings

    settings = Settings()
    return settings.model_copy(update=overrides) if overrides else settings


def _queries(path: str) -> list[Any] | None:
    """The labelled queries of `path`; None (said on stderr) when the file cannot be read."""
    from knowledge_base.evaluation import QueryFileError, read_queries

    try:
        return list(read_queries(path))
    except (OSError, QueryFileError) as exc:
        print(f"cannot read the queries: {exc}", file=sys.stderr)
        return None


def _kb_items(path: str) -> tuple[list[Any], int]:
    """The entries of the knowledge-base file `path` and how many problems it has (each said
    on stderr)."""
    from knowledge_base.loader import load_paths

    loaded = load_paths([path])
    for problem in loaded.problems:
        print(str(problem), file=sys.stderr)
    return list(loaded.items), len(loaded.problems)


def cmd_kb_eval(args: argparse.Namespace) -> int:
    from bot.services.knowledge import import_items
    from knowledge_base.evaluation import evaluate, outcome_of

    queries = _queries(args.queries)
    if queries is None:
        return 2
    items = None
    if args.kb:
        items, problems = _kb_items(args.kb)
        if problems:
            print(f"nothing evaluated: {problems} problem(s)", file=sys.stderr)
            return 1

    async def _evaluate(app: Any) -> Any:
        if items is not None:
            async with app.session_factory() as session, session.begin():
                await import_items(session, items, replace=True)
            await app.kb.reload(app.session_factory)
        return evaluate(queries, lambda q: outcome_of(app.kb.search(q.text, q.lang)))

    def _run(database_url: str | None) -> Any:
        settings = _settings(database_url=database_url) if database_url else _settings()
        return asyncio.run(with_store(_evaluate, settings, seed=items is None))

    if items is None:
        report = _run(None)
    else:
        # A throwaway store, so evaluating a file never touches the real one.
        with tempfile.TemporaryDirectory(prefix="kelisim-eval-") as folder:
            report = _run(f"sqlite+aiosqlite:///{folder}/eval.sqlite3")

    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render())
    return 0


def cmd_kb_calibrate(args: argparse.Namespace) -> int:
    from knowledge_base.evaluation import fit_thresholds
    from knowledge_base.search import THRESHOLDS_PATH, FaqIndex, Thresholds

    queries = _queries(args.queries)
    if queries is None:
        return 2
    items, problems = _kb_items(args.kb)
    if problems:
        return 1
    index = FaqIndex(items, thresholds=Thresholds())
    ranked = [(q, index.rank(q.text, q.lang, limit=4, floor=0.1)) for q in queries]
    thresholds, info = fit_thresholds(
        ranked, max_wrong=args.max_wrong, min_off_topic_abstained=args.min_off_topic
    )
    out = Path(args.out) if args.out else THRESHOLDS_PATH
    data = {
        **thresholds.as_dict(),
        "fitted_on": Path(args.queries).name,
        "queries": info["queries"],
        "command": "kelisim kb calibrate",
    }
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(thresholds.as_dict()))
    print(f"wrote {out}")
    return 0


def register(kb: Any) -> None:
    """Add `eval` and `calibrate` to the `kb` subcommands."""
    p = kb.add_parser(
        "eval",
        help="answered-correct / wrong / in buttons / abstained for a labelled TSV of queries",
        description=(
            "Evaluate the FAQ search on QUERIES.tsv: one query per line, "
            "expected<TAB>lang<TAB>variant<TAB>query, expected an entry id or NONE. Prints the "
            "outcomes overall, by language and by variant, then every miss."
        ),
    )
    p.add_argument("queries", metavar="QUERIES.tsv")
    p.add_argument(
        "--kb", metavar="FILE.yml", default=None, help="evaluate this FAQ in a throwaway store"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_kb_eval)

    p = kb.add_parser(
        "calibrate",
        help="fit the search's answer thresholds on labelled queries",
        description=(
            "Fit where a score becomes an answer, a 'did you mean' choice or nothing, on the "
            "labelled tuning queries and the shipped FAQ, and write knowledge_base/thresholds.json."
        ),
    )
    p.add_argument("queries", metavar="QUERIES.tsv", nargs="?", default=str(DEFAULT_TUNE))
    p.add_argument("--kb", metavar="PATH", default=str(DEFAULT_KB), help="FAQ YAML file or folder")
    p.add_argument("--out", metavar="PATH", default=None, help="write the thresholds here")
    p.add_argument(
        "--max-wrong", type=float, default=0.02, help="share of wrong answers allowed (0.02)"
    )
    p.add_argument(
        "--min-off-topic",
        type=float,
        default=0.9,
        help="share of off-topic queries that must not be answered (0.9)",
    )
    p.set_defaults(func=cmd_kb_calibrate)


# --- ask ----------------------------------------------------------------------------------------

# The routes `kelisim ask` reports (DESIGN.md), by the decision's action and intent.
_ROUTED = {"request_consultation": "consultation"}


def route_of(decision: Any) -> str:
    """The route name outside checks see for a decision of bot.services.dialogue."""
    from bot.services.dialogue import Action

    match decision.action:
        case Action.INCIDENT:
            return "incident"
        case Action.ANSWER:
            return "faq"
        case Action.SUGGEST:
            return "did_you_mean"
        case Action.SMALL_TALK:
            return "small_talk"
        case Action.INTENT:
            return _ROUTED.get(decision.intent, decision.intent)
    return "out_of_scope"  # out of scope, or nothing in the knowledge base fits


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.services.dialogue import decide

    async def _ask(app: Any) -> int:
        as_json = args.json or args.text == "-"
        threshold = app.settings.intent_threshold
        for raw in texts(args.text):
            text = raw.strip()[:MAX_QUESTION_CHARS]
            parsed = await app.nlu.parse(text)
            search = app.kb.search(text, args.lang)
            decision = decide(text, parsed, search, threshold)
            row = {
                "route": route_of(decision),
                "intent": decision.intent,
                "confidence": round(float(decision.confidence), 4),
                "faq_id": decision.entry_id,
                "alternatives": list(decision.suggestions),
                "score": decision.score,
                "nlu_degraded": parsed.degraded,
            }
            if as_json:
                print(json.dumps(row, ensure_ascii=False), flush=True)
            else:
                target = row["faq_id"] or ", ".join(row["alternatives"]) or ""
                print(f"{row['route']}\t{row['intent']}\t{row['confidence']}\t{target}")
        return 0

    return int(asyncio.run(with_store(_ask, _settings())))


def register_ask(commands: Any) -> None:
    """Add the top-level `ask` command."""
    p = commands.add_parser(
        "ask",
        help="what the bot would do with a student's message ('-': one text per line)",
        description=(
            "Run TEXT through the bot's own decision: the NLU (Rasa at RASA_URL, or the "
            "fallback rules when it is down), the incident safety net and the knowledge base. "
            'JSON: {"route", "intent", "confidence", "faq_id", "alternatives"}.'
        ),
    )
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--lang", choices=("kk", "ru"), default=None)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_ask)
