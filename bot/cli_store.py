"""What the command-line tools share: running a coroutine against the migrated store, and
reading texts from an argument or from standard input."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any


def texts(value: str) -> Iterator[str]:
    """TEXT, or one text per line of standard input when TEXT is '-'."""
    if value == "-":
        for line in sys.stdin:
            yield line.rstrip("\n")
    else:
        yield value


async def with_store(
    func: Callable[[Any], Awaitable[Any]], settings: Any = None, *, seed: bool = True
) -> Any:
    """Run `func(app)` against the migrated store of `settings` (default: the environment's),
    seeding the FAQ first if the store is empty and `seed` is true."""
    from bot.config import Settings
    from bot.factory import create_app
    from bot.runner import prepare_store

    app = create_app(settings if settings is not None else Settings())
    try:
        await prepare_store(app, seed=seed)
        return await func(app)
    finally:
        await app.aclose()
