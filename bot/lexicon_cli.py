"""`kelisim kb lexicon import PATH` / `kelisim kb lexicon export PATH`: the store's bilingual
lexicon as the YAML of knowledge_base/lexicon.yml. bot/cli.py only registers them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.cli_store import with_store


def cmd_lexicon_import(args: argparse.Namespace) -> int:
    from bot.runner import seed_lexicon
    from bot.services.lexicon import import_groups
    from knowledge_base.lexicon import LexiconError, load_lexicon_file

    try:
        groups = load_lexicon_file(args.path)
    except OSError as error:
        print(f"{args.path}: cannot read: {error.strerror or error}", file=sys.stderr)
        return 1
    except LexiconError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"nothing imported: {len(error.problems)} problem(s)", file=sys.stderr)
        return 1

    async def _import(app: Any) -> Any:
        if not args.replace:
            # Adding to a store that has no lexicon yet adds to the shipped one, as a bot's
            # first start would have loaded it.
            await seed_lexicon(app)
        async with app.session_factory() as session, session.begin():
            return await import_groups(session, groups, replace=args.replace)

    try:
        summary = asyncio.run(with_store(_import, seed=False))
    except LexiconError as error:  # the file clashes with groups already in the store
        for problem in error.problems:
            print(f"{args.path}: {problem}", file=sys.stderr)
        print(f"nothing imported: {len(error.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"imported: {summary.added} added, {summary.changed} changed, "
        f"{summary.unchanged} unchanged, {summary.removed} removed groups"
    )
    return 0


def cmd_lexicon_export(args: argparse.Namespace) -> int:
    from bot.runner import seed_lexicon
    from bot.services.lexicon import load_groups
    from knowledge_base.lexicon import dump_lexicon

    async def _export(app: Any) -> Any:
        await seed_lexicon(app)  # a store without a lexicon yet has the shipped one
        async with app.session_factory() as session:
            return await load_groups(session)

    groups = asyncio.run(with_store(_export, seed=False))
    text = dump_lexicon(groups)
    if args.path == "-":
        sys.stdout.write(text)
    else:
        Path(args.path).write_text(text, encoding="utf-8")
        print(f"exported {len(groups)} groups to {args.path}")
    return 0


def register(kb: Any) -> None:
    """Add `lexicon import` and `lexicon export` to the `kelisim kb` subcommands."""
    lexicon = kb.add_parser(
        "lexicon", help="the bilingual synonym lexicon search uses (import / export YAML)"
    ).add_subparsers(dest="lexicon_command", required=True, metavar="COMMAND")
    p = lexicon.add_parser(
        "import",
        help="load lexicon YAML into the store: all or nothing, problems with file and line",
        description=(
            "Upsert the groups of PATH by id, checked together with the groups already stored "
            "(a word may belong to one group only; no stop words, no group of one word). On "
            "any problem nothing is loaded. A store without a lexicon gets the shipped one "
            "first (not with --replace). Running bots pick the change up within seconds."
        ),
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--replace", action="store_true", help="delete groups that are not in PATH")
    p.set_defaults(func=cmd_lexicon_import)
    p = lexicon.add_parser("export", help="write the store's lexicon as YAML ('-': stdout)")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_lexicon_export)
