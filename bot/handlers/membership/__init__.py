"""A student blocking the bot or coming back (my_chat_member updates)."""
