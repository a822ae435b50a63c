"""Routers per journey; each module exposes `create_router()`. They are listed, in the order
they see updates, in `bot.factory.create_routers`."""
