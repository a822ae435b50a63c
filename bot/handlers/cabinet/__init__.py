"""/me: the student's personal cabinet."""
