"""Outer middlewares: a database session per update, the user's profile and locale, flood control."""
