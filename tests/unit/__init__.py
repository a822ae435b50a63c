"""Pure functions, services with a real SQLite file, and the shape of the code."""
