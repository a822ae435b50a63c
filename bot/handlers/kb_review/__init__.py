"""The admins' stale-content review (/kb_review) and its monthly reminder."""
