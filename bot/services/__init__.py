"""Domain logic: plain values and a session in, plain values out; no Telegram types."""
