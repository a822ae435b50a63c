"""What the shipped content may cite: the article numbers and phone numbers the project's
reviewed facts back (the team's FACTS.md). Anything else needs a source before it is written.

Kept as data, beside the content, so the content lint and the stale-content review use the
same list; a new fact is added here together with the entry that states it.
"""

from __future__ import annotations

__all__ = ["CONSTITUTION_ARTICLES", "CRIMINAL_CODE_ARTICLES", "HELP_LINES"]

# The 2026 Constitution (in force since 1 July 2026): Article 9, the state and Russian
# languages. Its other article numbers are not confirmed, and the 1995 numbers are gone.
CONSTITUTION_ARTICLES: frozenset[int] = frozenset({9})

# Criminal Code, Article 174: inciting social, national, clan, racial, class or religious discord.
CRIMINAL_CODE_ARTICLES: frozenset[int] = frozenset({174})

# Free help lines: police, fire, ambulance, the single contact centre on family, women's and
# children's rights, the single emergency number, the helpline for children and young people.
HELP_LINES: frozenset[str] = frozenset({"101", "102", "103", "111", "112", "150"})
