"""Interest groups (/groups) and their publishing by admins (/new_group)."""
