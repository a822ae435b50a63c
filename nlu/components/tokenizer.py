"""A Rasa tokenizer that folds every word with :func:`nlu.normalize.normalize_word`.

Training examples and incoming messages pass through the same folding (Kazakh letters typed as
Russian ones, Latin script, look-alike letters), so the featurizers never see the difference
between «сәлеметсіз», «салеметсиз» and «salemetsiz». Token offsets always point into the
original text: entity values are cut from what the student wrote, not from the folded form.

Besides Rasa, only the standard library, :mod:`nlu.normalize` and this package may be
imported here.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

import nlu.normalize
from nlu.components import source_fingerprint
from nlu.normalize import normalize_word

# Letters and digits, with apostrophes allowed inside a word: the same notion of a word as
# nlu.normalize.tokenize, so Latin spellings such as "sa'lem" stay one token and fold alike.
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalizingTokenizer(Tokenizer):
    """Splits text into words and folds each one to Kelisim's normalised spelling."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrains (instead of reusing Rasa's cache) whenever the folding code changes."""
        return source_fingerprint(nlu.normalize, sys.modules[__name__])

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config (the options every Rasa tokenizer has)."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        """Scripts without spaces between words cannot be split by this tokenizer."""
        return ["zh", "ja", "th"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NormalizingTokenizer:
        """Creates the component (it has no trainable state)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Returns the folded words of ``attribute`` with offsets into the original text."""
        text = message.get(attribute) or ""
        tokens = [
            # A fresh Token so that its lemma (used by CountVectorsFeaturizer) is folded too;
            # the explicit end keeps offsets right when folding changes the length (sh → ш).
            Token(normalize_word(m.group(0)), m.start(), m.end())
            for m in _WORD_RE.finditer(text)
        ]
        if not tokens:
            # Only emoji or punctuation: one token for the whole text, as Rasa's own
            # tokenizers do, so that every message has at least one token to featurize.
            stripped = text.strip()
            start = text.find(stripped) if stripped else 0
            tokens = [Token(stripped, start, start + len(stripped))]
        return self._apply_token_pattern(tokens)
