"""/staff: admins manage admins and curators."""
