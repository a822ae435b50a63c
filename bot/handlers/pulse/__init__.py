"""Anonymous pulse surveys and the student's optional faculty and course (/faculty)."""
