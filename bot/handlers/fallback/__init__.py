"""What no other journey took."""
