"""Provides the reading of a typed text answer: when it means one of a question's accepted answers.

An answer is read as a list of words with what does not change its meaning taken out, then
joined into a key; two answers mean the same when their keys are equal. What is ignored on both
sides: case, spacing, hyphens between words, surrounding quotes, a leading article, module
prefixes (`torch.nn.`), a trailing `()`, plural endings (irregular ones too), underscores inside
identifiers (`state dict` is `state_dict`) and the names of call arguments (`argmax(1)` is
`argmax(dim=1)`, but `argmax(keepdim=1)` is not). What is ignored on the typed side only, so that
an accepted answer never loses a word of its own: a possessive in front ("the model's
state_dict") and a category word at the end ("nccl backend", "AdamW optimizer") or as the
argument name (`backend="nccl"`) when the prompt names that category. One typo (a letter added,
dropped, changed or two swapped) is forgiven in a word or identifier of five letters or more,
unless the typed word is one the prompt itself shows.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz.distance import OSA

# Prefixes that name where a function lives, not what it is: `torch.optim.SGD` is `SGD`.
MODULE_PREFIXES = (
    *("torch", "nn", "functional", "f", "optim", "lr_scheduler", "init", "utils"),
    *("torchvision", "transforms", "datasets"),
)
ARTICLES = ("the", "a", "an")
POSSESSIVES = ("its", "their", "your", "my", "our", "his", "her")
# What kind of thing an answer is, which a learner may add after it: "nccl backend".
CATEGORY_WORDS = (
    *("backend", "optimizer", "optimiser", "scheduler", "class", "function", "method"),
    *("module", "layer", "attribute", "argument", "parameter", "technique"),
)
IRREGULAR_PLURALS = {
    "matrices": "matrix",
    "indices": "index",
    "vertices": "vertex",
    "axes": "axis",
    "biases": "bias",
    "criteria": "criterion",
    "hypotheses": "hypothesis",
    "analyses": "analysis",
    "minima": "minimum",
    "maxima": "maximum",
    "optima": "optimum",
    "phenomena": "phenomenon",
    "leaves": "leaf",
    "halves": "half",
    "children": "child",
}
# A typo is forgiven only in a word this long; shorter words are too easily another word.
TYPO_MIN_LETTERS = 5

# A quoted span: the quotes open after no letter (not the apostrophe of "model's").
QUOTED = re.compile(r"(?<!\w)[\"'`‘“](.+?)[\"'`’”](?!\w)")
# `dim=` in `argmax(dim=1)`: an argument's name.
ARGUMENT_NAME = re.compile(r"(?<=[(,])([^\W\d]\w*)=")
# An underscore between two letters or digits, which a learner may write as a space.
INNER_UNDERSCORE = re.compile(r"(?<=[^\W_])_(?=[^\W_])")
# A piece of a key that a typo stays inside: a run of letters, digits and underscores.
PIECE = re.compile(r"\w+|\W")


def normalize_text(text: str) -> str:
    """Casefolded, with runs of whitespace collapsed to one space and ends trimmed."""
    return " ".join(str(text).split()).casefold()


def answer_words(text: str) -> list[str]:
    """The words of a text answer with what does not change its meaning taken out.

    Casefolded; without surrounding quotes; no spaces around `=`, before `(` or inside a call's
    parentheses; no leading article; words split at spaces and at hyphens between letters; each
    word without a module prefix (`torch.nn.`), a trailing `()` or a plural ending.
    """
    text = normalize_text(text)
    text = QUOTED.sub(r"\1", text)
    text = re.sub(r"\s*=\s*", "=", text)
    text = re.sub(r"\s+\(", "(", text)
    text = re.sub(r"\([^()]*\)", lambda call: "".join(call.group(0).split()), text)
    words = re.split(r" |(?<=[^\W\d_])-(?=[^\W\d_])", text)
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return [_plain_word(w) for w in words if w]


def _plain_word(word: str) -> str:
    parts = word.split(".")
    while len(parts) > 1 and parts[0] in MODULE_PREFIXES:
        parts = parts[1:]
    word = ".".join(parts)
    if word.endswith("()") and len(word) > 2:
        word = word[:-2]
    return singular(word) if word.isalpha() else word


def singular(word: str) -> str:
    """`word` without its English plural ending, when it has one."""
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) < 4:
        return word
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


class Key(NamedTuple):
    """An answer joined for comparison, with where each of its pieces lies.

    `text` is the words joined without spaces, argument names and inner underscores;
    `pieces[i]` is (start, stop) of the piece that `text[i]` belongs to (a run of letters,
    digits and underscores, or one other character); `names` are the argument names in order,
    None for a positional one.
    """

    text: str
    pieces: list[tuple[int, int]]
    names: list[str | None]


def answer_key(words: list[str]) -> Key:
    text, pieces, names = "", [], []
    for word in words:
        names += [_argument_name(arg) for arg in _arguments(word)]
        plain = INNER_UNDERSCORE.sub("", ARGUMENT_NAME.sub("", word))
        for piece in PIECE.findall(plain):
            pieces += [(len(text), len(text) + len(piece))] * len(piece)
            text += piece
    return Key(text, pieces, names)


def _arguments(word: str) -> list[str]:
    return [arg for call in re.findall(r"\(([^()]*)\)", word) for arg in call.split(",") if arg]


def _argument_name(arg: str) -> str | None:
    named = re.match(r"([^\W\d]\w*)=", arg)
    return INNER_UNDERSCORE.sub("", named.group(1)) if named else None


def _names_agree(given: Key, right: Key) -> bool:
    """Arguments named on both sides have the same name (positional ones match any)."""
    if len(given.names) != len(right.names):
        return False
    pairs = zip(given.names, right.names, strict=True)
    return all(g is None or r is None or g == r for g, r in pairs)


def readings(words: list[str], prompt_words: set[str]) -> list[list[str]]:
    """The ways to read what the learner typed: as typed; without a possessive in front; without
    a trailing category word; and `backend=nccl` as `nccl` when the prompt asks for a backend."""
    found = [words]
    if len(words) > 1 and _is_possessive(words[0]):
        words = words[1:]
        found.append(words)
    if len(words) > 1 and words[-1] in CATEGORY_WORDS:
        words = words[:-1]
        found.append(words)
    if len(words) == 1 and "=" in words[0]:
        name, value = words[0].split("=", 1)
        if name in CATEGORY_WORDS and name in prompt_words and value:
            found.append([_plain_word(value)])
    return found


def _is_possessive(word: str) -> bool:
    return word in POSSESSIVES or bool(re.fullmatch(r"\w+(['’]s|s['’])", word))


def prompt_words(prompt: str) -> set[str]:
    """Every word and identifier the prompt shows, as answer keys compare them."""
    words = re.findall(r"\w+", prompt.casefold()) + re.findall(r"[^\W\d_]+", prompt.casefold())
    return {singular(INNER_UNDERSCORE.sub("", w)) for w in words}


def one_typo(given: Key, right: Key, shown: set[str]) -> bool:
    """`given` is `right` but for one letter added, dropped, changed or two swapped, inside a
    piece of `right` of five letters or more, where `given` does not write a word the prompt
    shows."""
    a, b = given.text, right.text
    if OSA.distance(a, b, score_cutoff=1) != 1 or not _names_agree(given, right):
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    edited = a[start : len(a) - end] + b[start : len(b) - end]
    if not all(c.isalpha() or c == "_" for c in edited):
        return False  # conv1d is not conv2d, nor -1 a typo of 1
    # the pieces of `right` the edit is in; a letter `right` lacks is between two of them
    at = range(start, len(b) - end) if len(b) - end > start else (start - 1, start)
    for first, stop in {right.pieces[i] for i in at if 0 <= i < len(b)}:
        written = a[first : stop + len(a) - len(b)]
        long_enough = sum(c.isalpha() for c in b[first:stop]) >= TYPO_MIN_LETTERS
        if long_enough and singular(written) not in shown:
            return True
    return False


def text_match(question, answer: str) -> tuple[bool, str]:
    """(right, spelling): right when `answer` means one of the accepted answers; spelling is
    that accepted answer as written when it took forgiving one typo, else ""."""
    shown = prompt_words(question.prompt)
    given = [answer_key(words) for words in readings(answer_words(answer), shown)]
    accepted = [(written, answer_key(answer_words(written))) for written in question.answers]
    for key in given:
        if any(key.text == right.text and _names_agree(key, right) for _, right in accepted):
            return True, ""
    for key in given:
        for written, right in accepted:
            if one_typo(key, right, shown):
                return True, written
    return False, ""
