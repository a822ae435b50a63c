"""The follow-up survey after a consultation: rating, resolved, comment."""
