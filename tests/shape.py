"""The code's shape, measured: the import graph of bot/ (cycles, layer rules), module sizes,
handler lengths and parameter counts. The architecture tests assert on these numbers;
`python -m tests.shape` prints them.

Imports are read from the source (every import, also inside functions, except under
`TYPE_CHECKING`). Importing `a.b.c` runs the package `a.b` first, so an import of a module also
counts as an import of its packages.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "nlu", "knowledge_base")
# Alembic's migration scripts run only inside Alembic (`from alembic import context`).
SKIPPED = ("bot/db/migrations/",)
MAX_MODULE_LINES = 500
MAX_HANDLER_LINES = 40
MAX_HANDLER_PARAMS = 5


# Modules that present a journey to Telegram users: handlers, their texts and keyboards.
UI_PACKAGES = ("bot.handlers",)
UI_NAMES = ("ui", "keyboards", "texts", "notices", "callbacks", "filters", "journeys")
UI_SUFFIXES = ("_ui", "_keyboards", "_texts", "_delivery")


def is_ui(module: str) -> bool:
    """Whether `module` belongs to the Telegram presentation layer."""
    last = module.rpartition(".")[2]
    return module.startswith(UI_PACKAGES) or last in UI_NAMES or last.endswith(UI_SUFFIXES)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def module_paths(*packages: str) -> dict[str, Path]:
    """Every module of the given top-level packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if any(relative.startswith(skip) for skip in SKIPPED):
                continue
            found[module_name(path)] = path
    return found


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(child) for child in ast.walk(node))
    return hidden


def _imported_names(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        parts = package.split(".")
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join(parts + ([base] if base else []))
    for alias in node.names:
        yield f"{base}.{alias.name}"  # `from pkg import module`, else resolved to pkg below
        yield base


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which of `modules` each one imports (directly, with the packages on the way)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in hidden:
                continue
            for target in _imported_names(name, path, node):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target:
                    continue
                # The module and the packages that importing it runs, except its own parents
                # (already running when it imports anything).
                own_parents = {name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)}
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    step = ".".join(parts[:i])
                    if step in modules and step != name and step not in own_parents:
                        graph[name].add(step)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@dataclass(frozen=True)
class Function:
    module: str
    name: str
    line: int
    lines: int
    params: int


def _registered_names(tree: ast.Module) -> set[str]:
    """Names a module registers as handlers: the first argument of `<observer>.register(f, ...)`
    and, where routers are built in a loop over a table of handlers, every name that a
    function calling `.register` mentions (a superset: only functions count, below)."""
    names: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        registers = any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "register"
            and node.args
            for node in ast.walk(function)
        )
        if not registers:
            continue
        names |= {
            node.id
            for node in ast.walk(function)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        }
    return names


def registered_handlers(modules: dict[str, Path]) -> list[Function]:
    """Functions registered as handlers (`<router>.<observer>.register(f, ...)`, directly or
    from a table the router is built from), wherever they are defined."""
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in modules.items()}
    registered: dict[str, set[str]] = {name: set() for name in modules}
    for name, tree in trees.items():
        imported = {
            alias.asname or alias.name: node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module in modules
            for alias in node.names
        }
        for function in _registered_names(tree):
            registered[imported.get(function) or name].add(function)
    handlers: list[Function] = []
    for name, tree in trees.items():
        for node in tree.body:
            # Handlers are coroutines; a function that builds one is not itself a handler.
            if isinstance(node, ast.AsyncFunctionDef) and node.name in registered[name]:
                args = node.args
                params = len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs)
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                handlers.append(Function(name, node.name, node.lineno, lines, params))
    return handlers


def module_lines(modules: dict[str, Path]) -> dict[str, int]:
    return {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules.items()
    }


def report() -> str:
    bot_modules = module_paths("bot")
    graph = import_graph(bot_modules)
    handlers = registered_handlers(bot_modules)
    sizes = module_lines(module_paths(*PACKAGES))
    long_handlers = [h for h in handlers if h.lines > MAX_HANDLER_LINES]
    wide_handlers = [h for h in handlers if h.params > MAX_HANDLER_PARAMS]
    big_modules = {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES}
    out = [
        f"modules: {len(sizes)}; over {MAX_MODULE_LINES} lines: {len(big_modules)}",
        *(f"  {m}: {n}" for m, n in sorted(big_modules.items(), key=lambda i: -i[1])),
        f"import cycles in bot/: {len(cycles(graph))}",
        *(f"  {' -> '.join(c)}" for c in cycles(graph)),
        f"handlers: {len(handlers)}; over {MAX_HANDLER_LINES} lines: {len(long_handlers)}; "
        f"over {MAX_HANDLER_PARAMS} parameters: {len(wide_handlers)}",
        *(
            f"  {h.module}.{h.name}: {h.lines} lines, {h.params} parameters"
            for h in sorted(set(long_handlers) | set(wide_handlers), key=lambda h: -h.lines)
        ),
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(report())
