"""Entity synonyms looked up by normalised spelling.

Rasa's EntitySynonymMapper matches an extracted value only if it is written exactly like a
synonym in the training data (case aside). Kelisim's students write «орысшаға», «орысшага»
and «orysshaǵa» for the same thing, so this mapper keys its table by the words of the value
after :mod:`nlu.normalize` folding: one annotated spelling covers every script variant.

Besides Rasa, only the standard library, :mod:`nlu.normalize` and this package may be
imported here.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper

import nlu.normalize
from nlu.components import source_fingerprint
from nlu.normalize import tokenize

logger = logging.getLogger(__name__)


def synonym_key(value: Any) -> str:
    """The lookup key of an entity value: its folded words joined by single spaces."""
    text = str(value)
    return " ".join(tokenize(text)) or text.lower()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class NormalizingEntitySynonymMapper(EntitySynonymMapper):
    """Maps entity values to their synonyms whatever script or spelling variant they are in."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrains (instead of reusing Rasa's cache) whenever the folding code changes."""
        return source_fingerprint(nlu.normalize, sys.modules[__name__])

    def replace_synonyms(self, entities: list[dict[str, Any]]) -> None:
        """Replaces each entity value that has a known synonym by that synonym."""
        for entity in entities:
            key = synonym_key(entity["value"])
            if key in self.synonyms:
                entity["value"] = self.synonyms[key]
                self.add_processor_name(entity)

    def _add_entities_if_synonyms(self, entity: str, synonym: str | None) -> None:
        if synonym is None:
            return
        key = synonym_key(entity)
        synonym = str(synonym)
        if key != synonym:
            previous = self.synonyms.get(key)
            if previous is not None and previous != synonym:
                # Spellings that fold alike but are annotated differently: a data bug.
                logger.warning("synonym %r maps to both %r and %r", key, previous, synonym)
            self.synonyms[key] = synonym
        self.synonyms.setdefault(synonym_key(synonym), synonym)
