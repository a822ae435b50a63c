"""Learning materials."""
