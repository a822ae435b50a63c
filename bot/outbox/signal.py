"""Waking the senders of this process right after a commit that wrote outbox rows (they also
poll every second, so a missed wake-up only costs that second)."""

from __future__ import annotations

import asyncio

_listeners: set[asyncio.Event] = set()


def listen(event: asyncio.Event) -> None:
    _listeners.add(event)


def forget(event: asyncio.Event) -> None:
    _listeners.discard(event)


def wake() -> None:
    for event in tuple(_listeners):
        event.set()
