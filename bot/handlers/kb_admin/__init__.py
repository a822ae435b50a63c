"""The admins' knowledge-base tools: entries, import, unanswered questions, retraining."""
