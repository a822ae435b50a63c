"""/announce: admins' announcements to students."""
