"""Curator assist: the closest knowledge-base answers on a new case's card and the curator's
reply screen, each sent to the student with one tap."""
