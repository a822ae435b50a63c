"""Knowledge-base search: build time, latency and memory at 100, 1,000 and 10,000 entries.

Run: ``.venv/bin/python -m benchmarks.kb_search`` (``--help`` for options). Prints a Markdown
table for docs/performance.md.

The entries are derived from the real knowledge base: each synthetic entry takes a real one's
questions, paraphrases and answers, swaps some of their words for words of its own (so the
vocabulary grows with the base, as it would with real content) and keeps the rest (so the
common words stay as common as they are in reality). Queries are what students send: real
and synthetic questions retyped in folded Kazakh, Latin script or with a typo, some cut
short, and off-topic messages.
"""

from __future__ import annotations

import argparse
import gc
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from knowledge_base import morphology, vocabulary
from knowledge_base.lexicon import Lexicon, default_lexicon
from knowledge_base.loader import load_paths
from knowledge_base.schema import LANGUAGES, FaqItem
from knowledge_base.search import FaqIndex

DATA_DIR = Path(__file__).resolve().parents[1] / "knowledge_base" / "data"

# Informal Latin, as students type Kazakh on a phone without a Kazakh layout.
_KAZAKH_TO_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")
_SYLLABLES = (
    "ба", "ке", "ту", "мар", "сен", "дал", "қор", "жан", "ол", "ри", "та", "нұр", "гүл", "ас",
    "ер", "ми", "зан", "лық", "шы", "ве", "ко", "пра", "ски", "ном", "ин", "ар", "тол", "бек",
)  # fmt: skip
_OFF_TOPIC = (
    "какая погода завтра в Алматы",
    "как приготовить плов",
    "ертең ауа райы қандай болады",
    "what's the weather tomorrow",
    "кто выиграл чемпионат мира по футболу",
    "qwerty asdfgh zxcvb",
    "бешбармақты қалай пісіремін",
)


def latin(text: str) -> str:
    """Kazakh Cyrillic in informal Latin letters."""
    return "".join(_KAZAKH_TO_LATIN.get(ch, ch) for ch in text.lower())


def typo(text: str, rng: random.Random) -> str:
    """One letter dropped from one longer word."""
    words = text.split()
    long_words = [i for i, word in enumerate(words) if len(word) >= 6]
    if not long_words:
        return text
    i = rng.choice(long_words)
    j = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def _new_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _vary(text: str, swaps: dict[str, str], own: str, rng: random.Random) -> str:
    out = [swaps.get(word, word) for word in text.split()]
    if len(out) > 2 and rng.random() < 0.5:
        out.insert(rng.randrange(len(out)), own)
    return " ".join(out)


def synthetic_items(real: Sequence[FaqItem], count: int, seed: int = 7) -> list[FaqItem]:
    """``count`` entries shaped like the real ones: real entries first, then variations."""
    rng = random.Random(seed)
    items = list(real[:count])
    number = 0
    while len(items) < count:
        base = real[number % len(real)]
        number += 1
        words = {w for lang in LANGUAGES for w in base.question[lang].split() if len(w) > 4}
        # Swap about half of the longer question words for this entry's own words.
        swaps = {w: _new_word(rng) for w in sorted(words) if rng.random() < 0.35}
        own = _new_word(rng)
        question = {
            lang: f"{_vary(base.question[lang], swaps, own, rng)} {own}" for lang in LANGUAGES
        }
        answer = {lang: _vary(base.answer[lang], swaps, own, rng) for lang in LANGUAGES}
        alternatives = {
            lang: tuple(_vary(text, swaps, own, rng) for text in texts)
            for lang, texts in base.alternatives.items()
        }
        items.append(
            replace(
                base,
                id=f"synthetic-{number}",
                question=question,
                answer=answer,
                alternatives=alternatives,
            )
        )
    return items


def queries(items: Sequence[FaqItem], count: int, seed: int = 11) -> list[str]:
    """Student-like questions about ``items``, with some off-topic ones mixed in."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.1:
            out.append(rng.choice(_OFF_TOPIC))
            continue
        item = rng.choice(items)
        lang = rng.choice(LANGUAGES)
        texts = [item.question[lang], *item.alternatives.get(lang, ())]
        text = rng.choice(texts)
        if lang == "kk" and kind < 0.4:
            text = latin(text)
        elif lang == "kk" and kind < 0.7:
            text = text.lower().translate(_FOLD)
        elif kind < 0.8:
            text = typo(text, rng)
        words = text.split()
        if len(words) > 3 and rng.random() < 0.3:
            words = words[: len(words) - 1]
        out.append(" ".join(words))
    return out


def _clear_caches() -> None:
    vocabulary._chunk_words.cache_clear()
    morphology.word_key.cache_clear()
    morphology.russian_lemma.cache_clear()


def startup_cost() -> dict[str, float]:
    """Seconds a fresh process spends loading the lemmatiser and the lexicon, and their memory."""
    code = (
        "import time, tracemalloc\n"
        "t = time.perf_counter()\n"
        "from knowledge_base import morphology\n"
        "morphology._analyzer()\n"
        "a = time.perf_counter()\n"
        "from knowledge_base.lexicon import default_lexicon\n"
        "default_lexicon()\n"
        "b = time.perf_counter()\n"
        "tracemalloc.start()\n"
        "morphology._analyzer.cache_clear(); morphology._analyzer()\n"
        "m = tracemalloc.get_traced_memory()[0]\n"
        "print(a - t, b - a, m)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "lemmatiser_s": float(out[0]),
        "lexicon_s": float(out[1]),
        "lemmatiser_mb": float(out[2]) / 2**20,
    }


def measure(
    real: Sequence[FaqItem], size: int, query_count: int, lexicon: Lexicon | None = None
) -> dict[str, float]:
    """Build an index of ``size`` entries and time ``query_count`` searches on it."""
    items = synthetic_items(real, size)
    texts = queries(items, query_count)
    lexicon = default_lexicon() if lexicon is None else lexicon

    # Build time without tracemalloc (it slows allocation several-fold), then memory with it;
    # the word cache is emptied each time so both builds pay for tokenising.
    _clear_caches()
    gc.collect()
    started = time.perf_counter()
    index = FaqIndex(items, lexicon=lexicon)
    build = time.perf_counter() - started
    del index
    _clear_caches()
    gc.collect()
    tracemalloc.start()
    index = FaqIndex(items, lexicon=lexicon)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    for text in texts[:50]:  # warm caches the way a running bot would have them
        index.search(text)
    latencies: list[float] = []
    cpu_times: list[float] = []
    answered = 0
    for text in texts:
        cpu_started = time.thread_time()
        started = time.perf_counter()
        result = index.search(text)
        latencies.append(time.perf_counter() - started)
        cpu_times.append(time.thread_time() - cpu_started)
        answered += result.best is not None
    return {
        "entries": len(index),
        "build_s": build,
        "memory_mb": memory / 2**20,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "cpu_p99_ms": _percentile(cpu_times, 99) * 1000,
        "found_share": answered / len(texts),
    }


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * percent // 100)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kb_search", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="knowledge base to derive from")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--queries", type=int, default=2000, help="searches per size")
    parser.add_argument(
        "--no-lexicon", action="store_true", help="index without the lexicon, for comparison"
    )
    args = parser.parse_args(argv)
    lexicon = Lexicon.empty() if args.no_lexicon else default_lexicon()

    loaded = load_paths([args.data])
    if not loaded.items:
        print(f"no entries in {args.data}: {loaded.problems}", file=sys.stderr)
        return 1
    real = [item for item in loaded.items if item.published]
    cost = startup_cost()
    print(
        f"Start-up in a fresh process: lemmatiser (pymorphy3 + dictionaries) "
        f"{cost['lemmatiser_s']:.2f} s and {cost['lemmatiser_mb']:.1f} MB, lexicon "
        f"({len(lexicon)} word keys) {cost['lexicon_s']:.2f} s.\n"
    )
    print(
        f"Derived from {len(real)} real entries; {args.queries} searches per size; "
        f"lexicon {'off' if args.no_lexicon else 'on'}.\n"
    )
    print(
        "| entries | build | memory (tracemalloc) | search p50 | search p99 "
        "| search p99, CPU time | with a match |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        row = measure(real, size, args.queries, lexicon)
        print(
            f"| {row['entries']:,.0f} | {row['build_s']:.2f} s | {row['memory_mb']:.1f} MB "
            f"| {row['p50_ms']:.3f} ms | {row['p99_ms']:.3f} ms | {row['cpu_p99_ms']:.3f} ms "
            f"| {row['found_share']:.0%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
