"""/privacy: what is kept, consent, deleting one's data."""
