"""Free text: NLU, knowledge-base answers, "did you mean", votes."""
