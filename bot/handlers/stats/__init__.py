"""/stats: consultation statistics for admins."""
