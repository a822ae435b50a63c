"""The bot, the CLI and Rasa as processes: over HTTP, over loopback, across restarts."""
