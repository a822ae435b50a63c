"""First contact: language, consent, /start and /help."""
