"""The store: SQLAlchemy 2 models, engine and migrations."""
