"""The ``nlu`` command group: ``train``, ``serve``, ``parse`` and ``eval``.

``kelisim`` (bot/cli.py) adds it with :func:`register`; ``python -m nlu.cli nlu ...`` runs the
same commands without the bot installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from nlu import rasa_runner
from nlu.client import NluClient, NluResult

__all__ = ["DEFAULT_RASA_URL", "main", "register"]

DEFAULT_RASA_URL = "http://127.0.0.1:5005"

Handler = Callable[[argparse.Namespace], int]


def _guarded(handler: Handler) -> Handler:
    """Turns the expected failures (no Rasa venv, no data, failed training) into messages."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except rasa_runner.RasaNotInstalledError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except (FileNotFoundError, RuntimeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return run


def _train(args: argparse.Namespace) -> int:
    model = rasa_runner.train(force=args.force)
    print(model)
    return 0


def _serve(args: argparse.Namespace) -> int:
    return rasa_runner.serve(host=args.host, port=args.port, token=args.token)


def _human(result: NluResult) -> str:
    line = f"{result.intent} {result.confidence:.3f}"
    for entity in result.entities:
        line += f" {entity.get('entity')}={entity.get('value')}"
    if result.degraded:
        line += " (keyword rules: Rasa unreachable)"
    return line


async def _parse_all(texts: Iterable[str], as_json: bool, out: TextIO) -> None:
    url = os.environ.get("RASA_URL") or DEFAULT_RASA_URL
    async with NluClient(url, token=os.environ.get("RASA_TOKEN") or None) as client:
        for text in texts:
            result = await client.parse(text)
            if as_json:
                out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            else:
                out.write(_human(result) + "\n")
            out.flush()


def _parse(args: argparse.Namespace) -> int:
    if args.text == "-":
        # One text per line, one answer per line, in order, even for blank lines.
        texts: Iterable[str] = (line.rstrip("\r\n") for line in sys.stdin)
    else:
        texts = [args.text]
    asyncio.run(_parse_all(texts, args.json, sys.stdout))
    return 0


def _eval(args: argparse.Namespace) -> int:
    summary = rasa_runner.evaluate(report_path=args.report)
    print(f"examples: {summary['examples']}")
    print(f"accuracy: {summary['accuracy']:.1%}")
    for name, item in summary["by_file"].items():
        print(f"  {name}: {item['accuracy']:.1%} of {item['examples']}")
    print(f"below the fallback threshold: {summary['below_threshold']}")
    print(f"wrong with confidence >= 0.9: {summary['confident_errors']}")
    print(f"report: {summary['report']}")
    return 0


def register(subparsers: Any) -> Any:
    """Adds the ``nlu`` command group to an argparse ``add_subparsers()`` object and returns
    the group's own subparsers, so the bot's CLI can add commands that need the store."""
    nlu = subparsers.add_parser(
        "nlu",
        help="train, serve, query and evaluate the Rasa NLU model",
        description="Train, serve, query and evaluate the Rasa NLU model.",
    )
    commands = nlu.add_subparsers(dest="nlu_command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        help="train the model (skipped when it is newer than data, config and code)",
        description="Train the NLU model from nlu/data into nlu/models/kelisim-nlu.tar.gz.",
    )
    train.add_argument("--force", action="store_true", help="retrain even if up to date")
    train.set_defaults(func=_guarded(_train))

    serve = commands.add_parser(
        "serve",
        help="run the Rasa HTTP server (trains first if there is no model)",
        description="Run Rasa's HTTP API (POST /model/parse) in the foreground.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    serve.add_argument("--port", type=int, default=5005, help="port (default: %(default)s)")
    serve.add_argument(
        "--token",
        default=os.environ.get("RASA_TOKEN") or None,
        help="auth token clients must send (default: $RASA_TOKEN)",
    )
    serve.set_defaults(func=_guarded(_serve))

    parse = commands.add_parser(
        "parse",
        help="show what the bot understands of a text",
        description=(
            "Parse TEXT through the same client and normalisation the bot uses (Rasa at "
            "$RASA_URL, token $RASA_TOKEN; keyword rules if Rasa is unreachable). With '-', "
            "read one text per line from standard input and print one JSON object per line."
        ),
    )
    parse.add_argument("text", metavar="TEXT", help="the text, or '-' for standard input")
    parse.add_argument("--json", action="store_true", help="print Rasa's parse result as JSON")
    parse.set_defaults(func=_guarded(_parse))

    evaluate = commands.add_parser(
        "eval",
        help="evaluate the model on nlu/tests and write docs/nlu-evaluation.md",
        description="Score the model on every test set in nlu/tests and write a Markdown report.",
    )
    evaluate.add_argument(
        "--report",
        type=Path,
        default=rasa_runner.DEFAULT_REPORT,
        help="where to write the report (default: docs/nlu-evaluation.md)",
    )
    evaluate.set_defaults(func=_guarded(_eval))
    return commands


def main(argv: list[str] | None = None) -> int:
    """Runs ``python -m nlu.cli nlu COMMAND ...``."""
    parser = argparse.ArgumentParser(prog="python -m nlu.cli", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
