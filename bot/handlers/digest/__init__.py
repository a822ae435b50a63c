"""The weekly early-warning digest to admins: its text and its scheduled job."""
