"""Whether to answer: the evidence for and against a draft, weighed into one P(answerable).

Every signal is a number in [0, 1] computed per question. The weights, bias and default threshold
are fitted by `bench/calibrate.py` and read from `rag/data/abstention.json`; nothing fitted lives
in this file. Signals that only reward a passage sharing the question's words are weak against
questions written to share those words without being answered, and weights fitted on many signals
carry over badly to a corpus the fit never saw; the fitted decision today weighs only the model's
own judgements of support: before drafting (the pre-check) and on the sentences the draft was
drawn from, shown alone (the evidence check). The other signals are still computed and recorded.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.citations import ClaimSupport, distinctive_terms, passage_terms
from rag.file_labels import only_file_names
from rag.generation import NEUTRAL_CHECK
from rag.names import NO_NAMES, NO_NUMBERS
from rag.prompting import CITATION_MARK, PromptPassage
from rag.text import DOCUMENT_NOUNS, STOP_WORDS, stem

WEIGHTS_FILE = Path(__file__).resolve().parent / "data" / "abstention.json"

SIGNALS = (
    "model_refusal",
    "precheck",
    "self_check",
    "question_coverage",
    "question_in_one",
    "answer_support",
    "joint_support",
    "top_dense",
    "answer_confidence",
    "weakest_token",
    "answer_type",
    "answer_novelty",
    "claims_supported",
    "evidence_check",
    "names_in_cited",
    "numbers_in_cited",
)
SIGNAL_HELP = {
    "model_refusal": "the model's probability of opening its reply with the cannot-answer sentinel",
    "precheck": "the model's P(yes), before drafting, that the passages state the answer",
    "self_check": "the model's P(yes), after drafting, that its answer is stated in the passages",
    "question_coverage": "share of the question's key terms found anywhere in the passages",
    "question_in_one": "the same, within the single best passage",
    "answer_support": "the weakest answer sentence's share of key terms found in its cited passages",
    "joint_support": "share of question and answer key terms found together in one passage",
    "top_dense": "the best passage's cosine similarity to the question",
    "answer_confidence": "geometric mean of the generated tokens' probabilities",
    "weakest_token": "probability of the least likely generated token",
    "answer_type": "1 when the answer has the kind of content the question asks for (a number for "
    "'how many', a date for 'when', a version for 'which version', anything the question does not already say), 0 "
    "when it lacks it or is only file names to a question not about "
    "files, 0.5 when the question does not say",
    "answer_novelty": "share of the answer's key terms that are not in the question",
    "claims_supported": "share of the answer's sentences that some passage supports",
    "evidence_check": "the model's P(yes) that the sentences the answer was drawn from, shown alone, "
    "state the answer to the question (0 when no sentence supports it)",
    "names_in_cited": "1 when a file the answer cites holds one of the names the question gives that tell the "
    "folder's files apart, 0 when none does, 0.5 when the question gives no such name (rag.names)",
    "numbers_in_cited": "1 when a file the answer cites states one of the numbers the question gives in digits "
    "that tell the folder's files apart, 0 when none does, 0.5 when the question gives no such number (rag.names)",
}


@dataclass(frozen=True)
class Evidence:
    """Everything the signals are computed from, gathered by the pipeline for one question."""

    question: str
    answer: str
    passages: list[PromptPassage]
    supports: list[ClaimSupport]
    refusal_probability: float
    precheck: float
    self_check: float
    mean_logprob: float
    min_logprob: float
    evidence_check: float = 0.0
    names_in_cited: float = NO_NAMES
    numbers_in_cited: float = NO_NUMBERS


@dataclass(frozen=True)
class Model:
    """A fitted logistic model over named signals, and the threshold chosen for it."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, signals: dict[str, float]) -> float:
        z = self.bias + sum(w * signals.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def fitted_model(path: Path = WEIGHTS_FILE) -> Model:
    """The model written by bench/calibrate.py."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(dict(data["weights"]), float(data["bias"]), float(data["threshold"]))


def signals(evidence: Evidence) -> dict[str, float]:
    """Every signal in SIGNALS, each in [0, 1], rounded for readable JSON."""
    question_terms = distinctive_terms(evidence.question)
    answer_terms = distinctive_terms(evidence.answer)
    terms_by_passage = [passage_terms(p) for p in evidence.passages]
    both = question_terms | answer_terms
    values = {
        "model_refusal": evidence.refusal_probability,
        "precheck": evidence.precheck,
        "self_check": evidence.self_check,
        "question_coverage": _share(question_terms, set().union(*terms_by_passage)),
        "question_in_one": max((_share(question_terms, t) for t in terms_by_passage), default=0.0),
        "answer_support": min((s.support for s in evidence.supports), default=0.0),
        "joint_support": max((_share(both, t) for t in terms_by_passage), default=0.0),
        "top_dense": max((p.hit.dense for p in evidence.passages), default=0.0),
        "answer_confidence": math.exp(evidence.mean_logprob),
        "weakest_token": math.exp(evidence.min_logprob),
        "answer_type": answer_type_match(
            evidence.question, evidence.answer, {p.hit.chunk.file for p in evidence.passages}
        ),
        "answer_novelty": _share(answer_terms, answer_terms - question_terms),
        "claims_supported": (
            sum(bool(s.passages) for s in evidence.supports) / len(evidence.supports) if evidence.supports else 0.0
        ),
        "evidence_check": evidence.evidence_check,
        "names_in_cited": evidence.names_in_cited,
        "numbers_in_cited": evidence.numbers_in_cited,
    }
    return {name: round(float(values[name]), 4) for name in SIGNALS}


def _share(wanted: AbstractSet[str], found: AbstractSet[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    "sixty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|several|half"
)
_HAS_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.IGNORECASE)
# "How often ...?" is answered by a rate as often as by a count: "every Friday", "weekly", "twice",
# "on weekdays", "each month" ("each" and "per" only before a unit of time: "each backup" is no rate).
_TIME_UNITS = "second|minute|hour|day|night|morning|evening|week|weekday|weekend|month|quarter|year|time|run|release"
_HAS_FREQUENCY = re.compile(
    rf"\b(every|once|twice|thrice|(?:bi|semi)?(?:daily|nightly|weekly|fortnightly|monthly|quarterly|yearly|"
    rf"annually|hourly)|biannually|semiannually|always|never|whenever|continuously|constantly|regularly|"
    rf"occasionally|rarely|seldom|sometimes|often|frequently|(?:{_DAYS})s|weekdays|weekends|"
    rf"(?:each|per|a|an)\s+(?:{_TIME_UNITS})s?)\b",
    re.IGNORECASE,
)
# A date or a time: a year, a clock time ("07:30", "6 pm"), a day ("the 5th"), a month or weekday,
# a season, a day relative to today.
_DATE_WORDS = (
    rf"\d{{3,4}}|\d{{1,2}}[:.]\d{{2}}|\d{{1,2}}\s*[ap]\.?m\b\.?|\d{{1,2}}(?:st|nd|rd|th)|{_MONTHS}|{_DAYS}|today|"
    r"tonight|yesterday|tomorrow|noon|midnight|o'clock|spring|summer|autumn|fall|winter"
)
_HAS_DATE = re.compile(
    rf"\b({_DATE_WORDS}|week|weekend|month|year|morning|evening|night|century|decade|ago|later|before|after|during|"
    r"since|until)\b",
    re.IGNORECASE,
)
# "When ...?" is answered by a date as often as by a span or a moment relative to another ("within
# 30 days", "once it is set", "immediately", "every morning").
_HAS_TIME = re.compile(
    rf"\b({_DATE_WORDS}|(?:second|minute|hour|day|night|week|weekday|weekend|fortnight|month|quarter|year|morning|"
    r"afternoon|evening|decade|season)s?|century|centuries|now|dawn|dusk|ago|later|earlier|before|after|during|since|"
    r"until|till|within|upon|once|immediately|soon|recently|(?:bi|semi)?(?:daily|nightly|weekly|monthly|quarterly|"
    r"yearly|annually|hourly))\b",
    re.IGNORECASE,
)
# "According to the MESOP article, how many ...", "Under the GPLv3, how often ...": a qualifier
# before the question word (no question word inside it) still asks for a number.
_QUALIFIER = (
    r"(?:(?:according to|under|in|for|per|across|after|before|among|of|besides|apart from|aside from|other than|"
    r"except for)\s+"
    r"(?:(?!\b(?:what|which|how|who|whom|whose|when|where|why)\b)[^,?]){1,80},\s*)*"
)
_EXPECTS_NUMBER = re.compile(
    rf"^\s*{_QUALIFIER}(?:(?:in|on|at|for|by|to|from|with|within|after|over|under|up to)\s+)?"
    rf"(how (many|much|long|old|far|often|large|big|high)|what (number|percentage|proportion|"
    r"share|amount|fraction|ratio|sum|size|age|dose))\b",
    re.IGNORECASE,
)
# "Which minimum version of X ...?", "In which release was Y added?": a version is a number, or a
# word that stands for one ("any later version", "the current release"). Not "what version control
# system", "which version of events", "what press release".
_EXPECTS_VERSION = re.compile(
    rf"^\s*{_QUALIFIER}(?:(?:in|from|since|starting with|with|by|until|as of|for)\s+)?(?:which|what)\s+"
    r"(?:[\w.+-]+\s+){0,2}?(?<!press )(?<!news )(?:versions?|releases?)\b(?!\s+(?:notes?|candidates?|branch(?:es)?|"
    r"dates?|schedules?|process|cycles?|managers?|files?|history|announcements?|tags?|polic(?:y|ies)|control|"
    r"strings?|formats?|schemes?|mechanisms?|types?|of (?:the )?(?:events|story))\b)",
    re.IGNORECASE,
)
_HAS_VERSION = re.compile(
    rf"\d|\b({_NUMBER_WORDS}|any|latest|later|newer|newest|older|oldest|earlier|current|previous|stable|"
    r"unstable|development|beta|alpha|nightly|unreleased)\b",
    re.IGNORECASE,
)
_NAMES_A_VERSION = re.compile(r"\b(versions?|releases?|editions?)\b", re.IGNORECASE)
# "What is the title of the leaked document?" answered "The document was leaked to the AP.": a
# question asking for a name or a title is answered only by a word the question lacks that is
# capitalised, quoted-style or an identifier ("image.raw", "v2"). Over every recorded draft of such
# questions, none that was right lacked one (bench/README.md, "A name asked for, and none given").
_EXPECTS_NAME = re.compile(
    rf"^\s*{_QUALIFIER}(?:what (?:is|was|are|were) the (?:names?|titles?) of|what (?:names?|titles?) (?:is|was|are|were|does|did|do))\b",
    re.IGNORECASE,
)
_NAME_LIKE = re.compile(r"[^\W_][\w'’.-]*", re.UNICODE)
_IDENTIFIER_LIKE = re.compile(r"\w[._/]\w|\d")
_QUOTED_NAME = re.compile(r"`[^`]+`|[\"“][^\"“”]+[\"”]|(?<!\w)['‘][^'‘’]+['’](?!\w)")
SHORT_REPLY_WORDS = 3
_EXPECTS_DATE = re.compile(
    r"^\s*(when|what (year|month|day|date|time|week|decade|century)|in (what|which) "
    r"(year|month|decade|century)|on (what|which) (day|date))\b",
    re.IGNORECASE,
)
# "On what date ...?" is answered by a date itself, not by a moment relative to another ("a few
# days before the ceasefire"); "which day of the week" by a weekday (or a day relative to today).
_EXPECTS_EXACT_DATE = re.compile(r"\b(?:what|which) date\b", re.IGNORECASE)
_HAS_EXACT_DATE = re.compile(rf"\b({_DATE_WORDS}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)\b", re.IGNORECASE)
_EXPECTS_WEEKDAY = re.compile(r"^\s*(?:on\s+)?(?:what|which)\s+day\s+of\s+the\s+week\b", re.IGNORECASE)
_HAS_WEEKDAY = re.compile(
    rf"\b((?:{_DAYS})s?|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|today|yesterday|tomorrow)\b", re.IGNORECASE
)
# "When the flag is set, which endpoint ...?": a leading "when" clause before the question itself.
_WHEN_CLAUSE = re.compile(
    r"^\s*when\b(?!\s*,)[^?]*?,\s*(?=(?:\w+\s+){0,2}?(?:what|which|who|whom|whose|where|why|how|is|are|was|were|does|do|"
    r"did|can|could|must|should|shall|will|would|may|might|has|have|had)\b)",
    re.IGNORECASE,
)


# "Which besieged area did Lavrov say was interested in X?" answered "The besieged area Lavrov said
# was interested in X.": a reply to a wh-question whose every word is the question's own says nothing
# (words kept whole with their inner _ - . / $, so "$SYSTEMD_FSTAB" is not "systemd" and "fstab").
# Not to a yes/no question ("Can X be undone?" "X can be undone."), nor to a choice ("... X or Y?").
_ASKS_WH = re.compile(
    rf"^\s*{_QUALIFIER}(?:(?:in|on|at|from|to|for|by|with|under|of|since|until|through)\s+)?"
    r"(?:what|which|who|whom|whose|where|when|how|why)\b",
    re.IGNORECASE,
)
_WHOLE_WORD = re.compile(r"[\w$][\w$./:+#-]*\w|\w")
_SAYS_NOTHING_NEW = (STOP_WORDS - {"not", "no", "nor"}) | {"say", "said", "says"}
_LEADING_CLAUSE = re.compile(r"^\s*(?:when|whenever|if|while|after|before|once|since)\b[^,?]*,\s*", re.IGNORECASE)
# A new sentence that asks: one opening with a question word or an auxiliary after a full stop (not
# "St. Louis", "Dr. Smith" or "e.g. PDF", whose next word asks nothing).
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could|"
    r"should|shall|will|would|may|might|must|has|have|had|in|on|at|for|from|to|under|according|besides)\b)",
    re.IGNORECASE,
)


# "And when was that?", "So how many ...?": a follow-up's opening word, before what it asks.
_LEADING_CONJUNCTION = re.compile(r"^\s*(?:and|but|so|also|then|plus)\b[\s,]*", re.IGNORECASE)


def _asked_sentence(question: str) -> str:
    """The sentence that asks: the last one opening with a question word or an auxiliary, after
    any conjunction opening it (a chat's follow-up)."""
    return _LEADING_CONJUNCTION.sub("", _SENTENCE_END.split(question.strip())[-1], count=1)


# What a call or literal in a question is given ("median_high([1, 3, 5, 7])"): its result may be
# one of its own values, so they are not what the question already says.
_CODE_ARGUMENTS = re.compile(r"(?<=[\w\])])\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")


def restates_question(question: str, answer: str) -> bool:
    """Whether an answer to a wh-question that offers no choice holds no word the question lacks
    (a word it capitalises into a name counts as new; so does a quoted literal, and a value of a
    call's or literal's arguments, which may be what the call returns).
    The question asked is the last sentence, after any leading "When X," clause: "When I run X,
    should Y ...?" asks yes or no, and "X happens. What can I change?" asks what."""
    asked_sentence = _LEADING_CLAUSE.sub("", _asked_sentence(question), count=1)
    if not _ASKS_WH.search(asked_sentence) or re.search(r"\bor\b", question, re.IGNORECASE):
        return False
    answer = CITATION_MARK.sub(" ", answer)
    if any(quoted not in question for quoted in _QUOTED_NAME.findall(answer)):
        return False  # a literal ("' [...]'", "',' and ':'") is what it tells, words or not
    written = {word.rstrip(".") for word in _WHOLE_WORD.findall(_CODE_ARGUMENTS.sub(" ", question))}
    asked = {stem(word) for word in written}
    told = [word.rstrip(".") for word in _WHOLE_WORD.findall(answer)]
    told = [word for word in told if word.lower() not in _SAYS_NOTHING_NEW]
    return bool(told) and all(stem(word) in asked and not _named(word, i, written) for i, word in enumerate(told))


def _named(word: str, position: int, question_words: set[str]) -> bool:
    """A word the answer capitalises inside a name that the question has only in lower case:
    "What license does zlib use?" "The zlib License." names the licence, not the question."""
    return position > 0 and word[:1].isupper() and word not in question_words


# A question about the documents themselves ("which files mention X?", "which article reports X?")
# may be answered with names; one that only mentions a document ("according to the article") may
# not, nor one asking for a file the documents describe ("which file serves as the lock?", "which
# file from their machine should I ask for?"): "which file" in the singular asks for a document only
# as "in which file ...", or when it asks what the file says.
_FILE_NOUNS = rf"({DOCUMENT_NOUNS}|sections?)"
_WHICH_FILE = re.compile(
    rf"\b(?P<within>in\s+)?(?:which|what)\s+(?:\w+\s+){{0,3}}?(?P<noun>{_FILE_NOUNS}(?:\s+(?:{DOCUMENT_NOUNS}))?)\b",
    re.IGNORECASE,
)
_FILE_NAMES_ASKED = re.compile(r"\bfile ?names?\b|\((files?|documents?)\)", re.IGNORECASE)
_SAYS = re.compile(
    r"\b(mentions?|mentioned|says?|said|reports?|reported|describes?|described|discuss(es|ed)?|"
    r"refers?|referred|cites?|cited|quotes?|quoted|covers?|covered|talks? about|explains?|explained|"
    r"argues?|argued|claims?|claimed|warns?|warned|recommends?|recommended)\b",
    re.IGNORECASE,
)


def answer_type_match(question: str, answer: str, files: AbstractSet[str] = frozenset()) -> float:
    """Whether the answer holds what the question's form asks for: 1 yes, 0 no, 0.5 unknown.

    A version or release ("which minimum version ...?") is asked for as a number, or a word standing
    for one ("any later version"); an answer that names a version in words ("the House version")
    is not judged.

    A number is asked for also after a leading qualifier ("Under the GPLv3, how often ..."); a
    date is not ("Under the licence, when may I ..." asks for a condition as often as a time), nor
    by a leading "when" clause before the question itself ("When X is set, which endpoint ...?").

    An answer that is nothing but names of files (the model has seen each passage's file, and
    sometimes names it for "where", "who" or "which") holds no answer unless files were asked for,
    nor does one that only restates a wh-question (restates_question), nor one giving the other end
    of the scale asked about ("the largest?" "The smallest is ...": gives_the_other_end).
    """
    if files and not asks_about_files(question) and only_file_names(answer, files):
        return 0.0
    if restates_question(question, answer) or gives_the_other_end(question, answer):
        return 0.0
    asked_whole = question
    question = _WHEN_CLAUSE.sub("", _asked_sentence(question), count=1)
    if _EXPECTS_NAME.search(question):
        return 1.0 if _gives_a_name(asked_whole, answer) else 0.0
    asked_date = _EXPECTS_DATE.search(question)
    if asked_date:
        told = (
            _HAS_WEEKDAY if _EXPECTS_WEEKDAY.search(question)
            else _HAS_EXACT_DATE if _EXPECTS_EXACT_DATE.search(question)
            else _HAS_TIME if asked_date.group(1).lower() == "when"
            else _HAS_DATE
        )
        return 1.0 if told.search(answer) else 0.0
    if _EXPECTS_VERSION.search(question) and not _NAMES_A_VERSION.search(answer):
        return 1.0 if _HAS_VERSION.search(answer) else 0.0
    asked = _EXPECTS_NUMBER.search(question)
    if asked:
        rate = asked.group(1).lower() == "how often"
        return 1.0 if _HAS_NUMBER.search(answer) or (rate and _HAS_FREQUENCY.search(answer)) else 0.0
    return 0.5


# Opposite ends of one scale: an answer giving the other end of the one asked about ("the largest
# unit?" "The smallest unit is ...", "the maximum?" "at least 5 days") answers another question, the
# commonest adversarial rewording of a passage (SQuAD 2.0's antonyms).
_OPPOSITE_ENDS = [
    (re.compile(rf"\b(?:{high})\b", re.IGNORECASE), re.compile(rf"\b(?:{low})\b", re.IGNORECASE))
    for high, low in (
        ("largest|biggest|greatest", "smallest"),
        ("highest", "lowest"),
        ("maximum|upper limit|at most|no more than", "minimum|lower limit|at least|no less than|no fewer than"),
        ("longest", "shortest"),
        ("earliest|oldest|the first", "latest|newest|most recent|youngest|the last"),
        ("(?<!at )most", "fewest|(?<!at )least"),
        ("increase[sd]?|increasing|rise[sn]?|rose|rising|raise[sd]?", "decrease[sd]?|decreasing|fall(?:s|en)?|fell|falling|lowered|reduce[sd]?"),
    )
]


def gives_the_other_end(question: str, answer: str) -> bool:
    """Whether the answer names one end of a scale and not the other where the question asks for
    the other alone (see _OPPOSITE_ENDS)."""
    for high, low in _OPPOSITE_ENDS:
        for asked, other in ((high, low), (low, high)):
            if asked.search(question) and not other.search(question) and other.search(answer) and not asked.search(answer):
                return True
    return False


def _gives_a_name(question: str, answer: str) -> bool:
    """Whether the answer holds a word the question lacks that is capitalised or identifier-like,
    or quoted; or is a short reply ("pyenv virtualenvs") with a word the question lacks."""
    answer = CITATION_MARK.sub(" ", answer)
    if _QUOTED_NAME.search(answer):
        return True
    asked = {word.strip(".'’").lower() for word in _NAME_LIKE.findall(question)}
    told = _NAME_LIKE.findall(answer)
    if len(told) <= SHORT_REPLY_WORDS and any(word.strip(".'’").lower() not in asked for word in told):
        return True
    for word in told:
        word = word.strip(".'’")
        if (word[:1].isupper() or _IDENTIFIER_LIKE.search(word)) and word.lower() not in asked | _SAYS_NOTHING_NEW:
            return True
    return False


def asks_about_files(question: str) -> bool:
    """Whether the question asks which documents say something (see _WHICH_FILE above)."""
    if _FILE_NAMES_ASKED.search(question):
        return True
    which = _WHICH_FILE.search(question)
    if not which:
        return False
    noun = which.group("noun").lower()
    if noun.endswith("s") or noun != "file" or which.group("within"):
        return True
    return bool(_SAYS.search(question, which.end()))




NOT_ASKED = NEUTRAL_CHECK  # a yes/no check the fitted decision does not use, so the model is not asked


def uses(signal: str) -> bool:
    """Whether the fitted decision weighs this signal (the model's checks cost a prompt each)."""
    return fitted_model().weights.get(signal, 0.0) != 0.0


@dataclass(frozen=True)
class Decision:
    """P(answerable) for a draft, whether it is abstained on, and why (None when it is not)."""

    probability: float
    abstain: bool
    reason: str | None = None


def decide(
    values: dict[str, float], threshold: float | None = None, declined: bool = False, model: Model | None = None,
    *, unsupported: bool = False,
) -> Decision:
    """Weigh the signals; a reply that declined, a draft no passage supports, and a draft without
    the kind of content its question's form asks for (no number for "how long", no date for
    "when": none of the 8 such drafts among the 322 fit+tune answers was right; only file names
    to a question not asking which files: none of the 34 in the recorded runs was), and a draft
    citing only files that never mention a name the question gives or state a number it gives in
    digits (rag.names) are abstained on.
    `model` is another fitted one, for benchmarks that compare two (default: the shipped file)."""
    model = model or fitted_model()
    probability = model.probability(values)
    limit = model.threshold if threshold is None else threshold
    reason = (
        "the model found no answer in the passages" if declined
        else "no passage supports the draft" if unsupported
        else withheld_by_rule(values)
        or (f"confidence {probability:.2f} is below the threshold {limit:.2f}" if probability < limit else None)
    )
    return Decision(round(probability, 4), reason is not None, reason)


def withheld_by_rule(values: dict[str, float]) -> str | None:
    """Why a supported draft is withheld whatever its confidence, or None: it lacks the kind of
    content its question asks for, or its cited files never use the question's names or state its
    numbers."""
    if values.get("answer_type") == 0.0:
        return "the draft lacks what the question asks for (a number, a date, a version, a new fact, the end of the scale asked about)"
    if values.get("names_in_cited") == 0.0:
        return "the files the draft cites never mention what the question names"
    if values.get("numbers_in_cited") == 0.0:
        return "the files the draft cites never state the number the question gives"
    return None
