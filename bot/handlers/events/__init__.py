"""Events: the list, cards, reminders' settings, admins' dialogs."""
