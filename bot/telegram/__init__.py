"""Telegram's own rules, kept in one place: text limits, retries, which errors are normal."""
