"""The incident safety net: a report of violence, insults or discrimination is never missed.

The NLU model may file "в общежитии подрались студенты разных национальностей" under an FAQ
question, or a Kazakh report typed in Russian letters under a language change. This net is
checked after the NLU and before any other answer, from the lexicon's incident concepts
(violence, threats, insults, humiliation, exclusion, discrimination, hate speech, harassment)
in every form and script:

* an incident word told as something that happened or happens — a finite verb (``избили``,
  ``кемсітеді``, ``төбелесті``) or an incident noun with "was" (``была драка``) — or told
  about oneself (``меня``, ``маған``, ``тобымызда``), or about people of some nationality;
* a quarrel or conflict word counts only with a nationality or ethnic word beside it;
* a question about the topic (what discrimination is, what the law says, the punishment)
  without anything personal is not a report: it gets its FAQ answer.

Plain Python over :mod:`knowledge_base.lexicon` and :mod:`knowledge_base.morphology`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from knowledge_base.lexicon import Lexicon
from knowledge_base.morphology import russian_lemma, russian_tag
from knowledge_base.spelling import tokenize
from knowledge_base.stopwords import STOP_WORDS

__all__ = ["REPORT_LIKE_ENTRIES", "IncidentCheck", "check_incident"]

# FAQ entries whose questions describe something happening to the student: the incident path
# and the FAQ answer are both right for them, so the measurement counts them on neither side.
REPORT_LIKE_ENTRIES = frozenset(
    {
        "help-discrimination-steps",
        "help-threats-danger",
        "conflict-witness",
        "rights-online-hate",
        "adapt-rural-stigma",
        "lang-mocked-for-language",
        "ethnic-jokes",
        "conflict-roommate",
        "conflict-groupmate",
    }
)

# Concepts that make a quarrel word a report (lexicon group ids).
_ETHNIC_CONCEPTS = frozenset(
    {
        "nationality",
        "ethnic-group",
        "interethnic",
        "race",
        "origin",
        "kazakh",
        "russian-person",
        "uzbek",
        "uyghur",
        "ukrainian",
        "german",
        "tatar",
        "korean",
        "foreigner",
        "minority",
        "religion",
        "language",
    }
)
_QUARREL_CONCEPTS = frozenset({"conflict"})


def _words(text: str) -> frozenset[str]:
    return frozenset(word for chunk in text.split() for word in tokenize(chunk))


# Normalised (folded) first-person words of both languages: "меня", "маған", "бізді" ...
_FIRST_PERSON = _words(
    """
    я меня мне мной мы нас нам нами мой моя мое моё моего моей моих мои моему моим мою
    наш наша наше нашего нашей наших наши нашу нашим
    мен мені маған менің менімен менде менен біз бізді бізге біздің бізбен бізде бізден
    өзім өзімді өзіме
    """
)
# Kazakh first-person possessive on a noun: досым, тобымызда, ұлтымды (folded spelling).
_KAZAKH_MY = re.compile(
    r"..(ым|им|мыз|миз|ымыз|имиз)(ды|ди|ны|ни|га|ге|ка|ке|а|е|да|де|та|те|дан|ден|нан|нен|"
    r"нын|нин|дын|дин|мен|бен|пен)?$"
)
# "Was", "happened": an incident noun with one of these is an event, not a topic.
_HAPPENED = _words("был была было были произошла произошло случилась случилось болды болып")
# Asking about the topic rather than telling what happened.
_TOPIC_QUESTION = _words(
    """
    такое считается значит законно закон законы статья статьи наказание ответственность
    виды бывают кодекс штраф деген дегеніміз дегеніміз заң заңы жаза жауапкершілік
    түрлері туралы
    """
)
# Finite Kazakh verb endings (past, present, future, continuous converb) in folded spelling.
_KAZAKH_FINITE = re.compile(r"(ды|ди|ты|ти|дык|дик|тык|тик|ып|ип|п|ган|ген|кан|кен|ар|ер|мын|мин)$")


@dataclass(frozen=True)
class IncidentCheck:
    """Whether a message reads as an incident report, and the words that made it so."""

    incident: bool
    words: tuple[str, ...] = ()
    reason: str = ""


def _is_finite(word: str) -> bool:
    tag = russian_tag(word)
    if tag is not None:
        pos, mood = tag
        return pos in ("VERB", "PRTS", "PRTF") and mood != "INFN"
    return _KAZAKH_FINITE.search(word) is not None


def check_incident(text: str, lexicon: Lexicon) -> IncidentCheck:
    """Whether ``text`` reports violence, insults, threats, exclusion or discrimination."""
    everything = tokenize(text[:1000])[:60]
    # Stop words never carry an incident, and a stemmed form must not turn one into one.
    words = [word for word in everything if word not in STOP_WORDS]
    if not words:
        return IncidentCheck(False)
    concepts = [set(lexicon.concepts(word)) for word in words]
    incident_words = [
        w for w, c in zip(words, concepts, strict=True) if c & lexicon.incident_concepts
    ]
    incident_words += _shut_out(everything)
    topic_question = any(w in _TOPIC_QUESTION for w in everything)
    told_about_me = any(w in _FIRST_PERSON for w in everything)
    # "досым", "тобымызда": a Kazakh possessive tells about oneself, though less surely than a
    # pronoun, so a question about the topic outweighs it ("кемсітушілік дегеніміз не").
    personal = told_about_me or (not topic_question and any(_KAZAKH_MY.search(w) for w in words))
    ethnic = any(c & _ETHNIC_CONCEPTS for c in concepts)
    happened = _near(everything, _HAPPENED, {w for w in words if w in set(incident_words)})

    if not incident_words:
        quarrel = [w for w, c in zip(words, concepts, strict=True) if c & _QUARREL_CONCEPTS]
        if quarrel and ethnic and (personal or any(map(_is_finite, quarrel))):
            if not topic_question or told_about_me:
                return IncidentCheck(True, tuple(quarrel), "quarrel over ethnicity")
        return IncidentCheck(False)

    event = happened or any(_is_finite(word) for word in incident_words)
    if topic_question and not told_about_me:
        return IncidentCheck(False, tuple(incident_words), "a question about the topic")
    if personal or event:
        reason = "personal" if personal else "event"
        return IncidentCheck(True, tuple(incident_words), reason)
    return IncidentCheck(False, tuple(incident_words), "a topic word alone")


# "Не общаются", "не берут", "не пустили": being shut out, said with a negated social verb.
_SHUT_OUT_LEMMAS = frozenset(
    {"общаться", "брать", "пускать", "пустить", "принимать", "звать", "позвать", "приглашать",
     "разговаривать", "здороваться", "взять", "принять", "садиться", "сидеть"}
)  # fmt: skip
_SHUT_OUT_KAZAKH = _words("сөйлеспейді араласпайды қабылдамайды шақырмайды қоспайды алмайды")


def _shut_out(words: list[str]) -> list[str]:
    found = [word for word in words if word in _SHUT_OUT_KAZAKH]
    for before, word in itertools.pairwise(words):
        if before == "не" and russian_lemma(word) in _SHUT_OUT_LEMMAS:
            found.append(word)
    return found


def _near(words: list[str], markers: frozenset[str], targets: set[str], span: int = 1) -> bool:
    """Whether a marker word stands within ``span`` words of a target word."""
    spots = [i for i, word in enumerate(words) if word in targets]
    return any(abs(i - j) <= span for i, word in enumerate(words) if word in markers for j in spots)
