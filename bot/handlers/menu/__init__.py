"""The main menu and its buttons."""
