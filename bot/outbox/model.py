"""The outbox table: one row per message the bot owes someone, written in the transaction of
the change that causes it and sent after that transaction commits."""

from __future__ import annotations

from bot.db.outbox_models import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # a retryable error: waits for `not_before`, then goes again
DEAD = "dead"  # given up: the chat is gone, Telegram refused it, or retried for too long

STATUSES = (PENDING, SENDING, SENT, FAILED, DEAD)
# Rows still owed to their chat; a chat's oldest such row goes first.
OWED = (PENDING, SENDING, FAILED)

__all__ = ["OutboxMessage"]
