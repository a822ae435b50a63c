"""The transactional outbox: every message that matters is a row written in the transaction of
the change that causes it (`bot.outbox.queue.enqueue`) and sent after commit by
`bot.outbox.sender.OutboxSender`, which retries, keeps each chat's order, paces under
Telegram's limits and never sends a row twice (see docs/operations.md for the one window
where a crash can repeat a message)."""
