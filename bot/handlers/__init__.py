"""One package per journey: router.py (create_router()) and ui.py (texts, keyboards, callbacks)."""
