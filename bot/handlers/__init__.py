"""Telegram journeys, one package each: `router.py` (handlers), `ui.py` (texts, keyboards,
callback data) and, where a journey has scheduled messages, `notices.py`."""
