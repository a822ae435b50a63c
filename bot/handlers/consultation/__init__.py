"""A student's request to a curator: the form, the relay, cancelling."""
