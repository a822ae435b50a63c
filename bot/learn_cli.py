"""`kelisim learn`: learning materials and their quizzes, checked, imported and exported as YAML."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli_store import with_store


def cmd_learn_validate(args: argparse.Namespace) -> int:
    from knowledge_base.learning import load_materials

    result = load_materials(args.paths)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.problems:
        return 1
    print(f"ok: {len(result.items)} materials")
    return 0


def cmd_learn_import(args: argparse.Namespace) -> int:
    from bot.services.learning import import_materials
    from knowledge_base.learning import load_materials

    result = load_materials([args.path])
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        print(f"nothing imported: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1

    async def _import(app: Any) -> Any:
        from bot.services.quizzes import unknown_faq_links

        async with app.session_factory() as session, session.begin():
            # Students simply get no "read more" button for an entry the store lacks.
            for problem in await unknown_faq_links(session, result.items):
                print(f"warning: {args.path}: {problem}", file=sys.stderr)
            return await import_materials(session, result.items, replace=args.replace)

    summary = asyncio.run(with_store(_import, seed=False))
    print(
        f"imported: {summary.added} added, {summary.changed} changed, "
        f"{summary.unchanged} unchanged, {summary.removed} removed"
    )
    return 0


def cmd_learn_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services.quizzes import export_materials
    from knowledge_base.learning import dump_materials

    async def _export(app: Any) -> Any:
        async with app.session_factory() as session:
            return await export_materials(session)

    materials = asyncio.run(with_store(_export, seed=False))
    Path(args.path).write_text(dump_materials(materials), encoding="utf-8")
    quizzes = sum(1 for m in materials if m.quiz is not None)
    print(f"exported: {len(materials)} materials, {quizzes} with a quiz")
    return 0


def register(commands: Any) -> None:
    learn = commands.add_parser("learn", help="learning materials shown by /learn").add_subparsers(
        dest="learn_command", required=True, metavar="COMMAND"
    )
    p = learn.add_parser("validate", help="check learning-material YAML; lists every problem")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_learn_validate)
    p = learn.add_parser(
        "import",
        help="load learning-material YAML with quizzes into the store (nothing if any is invalid)",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--replace", action="store_true", help="delete materials that are not in PATH")
    p.set_defaults(func=cmd_learn_import)
    p = learn.add_parser("export", help="write the store's materials and their quizzes as YAML")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_learn_export)
