"""The knowledge-base query language, parsed forgivingly into a small tree.

Words, ``"phrases"``, ``AND`` / ``OR`` / ``NOT`` (upper case; ``-word`` is ``NOT word``), parentheses and a
trailing ``*`` for a prefix. Words next to each other must all match. Anything malformed (an unclosed
quote or parenthesis, a lone ``NOT``, operators only, emoji, a 10,000-character paste) is repaired or
dropped, with a one-line hint saying what was done; parsing never raises.

The tree is normalised so that every ``NOT`` excludes from something positive: ``AllOf(must, must_not)``.
That is the only form both FTS5 and tsquery can run, and both renderers start from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.core.kb.text import STOP_WORDS, normal_words, stem

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_DEPTH = 16
OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True, slots=True)
class Term:
    """One word: its stem (what matches) and, for ``word*``, the typed prefix matched against whole words."""

    word: str
    stem: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear next to each other, in order; the last one may be a prefix."""

    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of the alternatives matches."""

    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every one of ``must`` matches and none of ``must_not``; ``must`` is never empty."""

    must: tuple[Node, ...]
    must_not: tuple[Node, ...] = ()


Node = Term | Phrase | AnyOf | AllOf


@dataclass(slots=True)
class ParsedQuery:
    """The normalised tree (``None`` when nothing is left to search for) and what was repaired."""

    text: str
    tree: Node | None
    hints: list[str] = field(default_factory=list)

    @property
    def hint(self) -> str | None:
        """The hints as one line, or ``None`` when the query was fine."""
        return "; ".join(dict.fromkeys(self.hints)) if self.hints else None

    def positive_terms(self) -> list[Term]:
        """The terms that make an article match (for highlighting), without the excluded ones."""
        found: list[Term] = []
        _collect_positive(self.tree, found)
        return found


# The raw parse tree, before normalisation: NOT may still appear anywhere.
@dataclass(frozen=True, slots=True)
class _Not:
    operand: object


@dataclass(frozen=True, slots=True)
class _And:
    items: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    items: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT"
    value: tuple[Term, ...] = ()


def parse(text: str) -> ParsedQuery:
    """Parse ``text``; the result always has a tree or a hint, never an exception."""
    hints: list[str] = []
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        hints.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
    tokens = _lex(text, hints)
    parser = _Parser(tokens, hints)
    raw = parser.parse()
    tree = _normalise(raw, hints) if raw is not None else None
    if tree is not None:
        tree = _without_stop_words(tree)
        tree = _limit_terms(tree, hints)
    if tree is None and not hints:
        hints.append("type a word to search for")
    elif tree is None:
        hints.append("nothing left to search for")
    return ParsedQuery(text=text, tree=tree, hints=hints)


def _make_terms(chunk: str, *, prefix: bool) -> tuple[Term, ...]:
    normals = normal_words(chunk)
    terms = [Term(word=normal, stem=stem(normal)) for normal in normals]
    if prefix and terms:
        last = terms[-1]
        terms[-1] = Term(word=last.word, stem=last.stem, prefix=True)
    return tuple(terms)


def _lex(text: str, hints: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(_Token(char))
            position += 1
        elif char == '"':
            closing = text.find('"', position + 1)
            if closing < 0:
                hints.append("a quote was not closed; the phrase runs to the end")
                closing = length
            body = text[position + 1 : closing]
            terms = _make_terms(body.rstrip().removesuffix("*"), prefix=body.rstrip().endswith("*"))
            # A "*" right after the closing quote makes the phrase's last word a prefix too.
            if closing + 1 < length and text[closing + 1] == "*":
                terms = _make_terms(body, prefix=True)
                closing += 1
            if terms:
                tokens.append(_Token("phrase", terms))
            position = closing + 1
        else:
            end = position
            while end < length and not text[end].isspace() and text[end] not in '()"':
                end += 1
            _lex_chunk(text[position:end], tokens, hints)
            position = end
    return tokens


def _lex_chunk(chunk: str, tokens: list[_Token], hints: list[str]) -> None:
    if chunk in OPERATORS:
        tokens.append(_Token(chunk))
        return
    negated = chunk.startswith("-") and len(chunk) > 1
    if negated:
        chunk = chunk[1:]
    terms = _make_terms(chunk.rstrip("*"), prefix=chunk.endswith("*"))
    if not terms:
        hints.append(f"ignored {chunk[:20]!r}: no letters or digits")
        return
    if negated:
        tokens.append(_Token("NOT"))
    tokens.append(_Token("phrase" if len(terms) > 1 else "word", terms))


class _Parser:
    """Recursive descent over the tokens; every error is repaired with a hint."""

    def __init__(self, tokens: list[_Token], hints: list[str]) -> None:
        self.tokens = tokens
        self.position = 0
        self.hints = hints
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position].kind if self.position < len(self.tokens) else None

    def parse(self) -> object | None:
        items: list[object] = []
        while self.position < len(self.tokens):
            item = self.parse_or()
            if item is not None:
                items.append(item)
            if self.peek() == ")":
                self.hints.append("an unmatched ')' was ignored")
                self.position += 1
        if not items:
            return None
        return items[0] if len(items) == 1 else _And(tuple(items))

    def parse_or(self) -> object | None:
        options: list[object] = []
        first = self.parse_and()
        if first is not None:
            options.append(first)
        while self.peek() == "OR":
            self.position += 1
            option = self.parse_and()
            if option is None or not options:
                self.hints.append("OR needs a word on both sides")
            if option is not None:
                options.append(option)
        if not options:
            return None
        return options[0] if len(options) == 1 else _Or(tuple(options))

    def parse_and(self) -> object | None:
        items: list[object] = []
        while (kind := self.peek()) not in (None, ")", "OR"):
            if kind == "AND":
                self.position += 1
                if not items or self.peek() in (None, ")", "OR", "AND"):
                    self.hints.append("AND needs a word on both sides")
                continue
            item = self.parse_unary()
            if item is not None:
                items.append(item)
        if not items:
            return None
        return items[0] if len(items) == 1 else _And(tuple(items))

    def parse_unary(self) -> object | None:
        if self.peek() == "NOT":
            self.position += 1
            if self.peek() in (None, ")", "OR", "AND"):
                self.hints.append("NOT needs a word after it")
                return None
            operand = self.parse_unary()
            return None if operand is None else _Not(operand)
        return self.parse_primary()

    def parse_primary(self) -> object | None:
        token = self.tokens[self.position]
        self.position += 1
        if token.kind == "(":
            if self.depth >= MAX_DEPTH:
                self.hints.append(f"parentheses deeper than {MAX_DEPTH} levels were flattened")
                return None
            self.depth += 1
            inner = self.parse_or()
            self.depth -= 1
            if self.peek() == ")":
                self.position += 1
            else:
                self.hints.append("a '(' was not closed")
            return inner
        if token.kind == "word":
            return token.value[0]
        if token.kind == "phrase":
            return Phrase(token.value) if len(token.value) > 1 else token.value[0]
        return None  # pragma: no cover - the callers never hand other tokens here


def _normalise(raw: object, hints: list[str]) -> Node | None:
    """Turn the raw tree into ``AllOf``/``AnyOf``/leaves; every exclusion has something to exclude from."""
    if isinstance(raw, Term | Phrase):
        return raw
    if isinstance(raw, _Not):
        if isinstance(raw.operand, _Not):
            return _normalise(raw.operand.operand, hints)
        hints.append("NOT needs something to search for besides what it excludes")
        return None
    if isinstance(raw, _Or):
        options: list[Node] = []
        for item in raw.items:
            if isinstance(item, _Not) and not isinstance(item.operand, _Not):
                hints.append("'OR NOT …' cannot be searched; that part was ignored")
                continue
            normal = _normalise(item, hints)
            if normal is not None:
                options.append(normal)
        if not options:
            return None
        return options[0] if len(options) == 1 else AnyOf(tuple(dict.fromkeys(options)))
    assert isinstance(raw, _And)
    must: list[Node] = []
    must_not: list[Node] = []
    for item in raw.items:
        if isinstance(item, _Not) and not isinstance(item.operand, _Not):
            excluded = _normalise_excluded(item.operand, hints)
            if excluded is not None:
                must_not.append(excluded)
            continue
        normal = _normalise(item, hints)
        if isinstance(normal, AllOf):
            must.extend(normal.must)
            must_not.extend(normal.must_not)
        elif normal is not None:
            must.append(normal)
    if not must:
        if must_not:
            hints.append("NOT needs something to search for besides what it excludes")
        return None
    if len(must) == 1 and not must_not:
        return must[0]
    return AllOf(tuple(dict.fromkeys(must)), tuple(dict.fromkeys(must_not)))


def _normalise_excluded(raw: object, hints: list[str]) -> Node | None:
    """What follows NOT: any positive expression (an exclusion inside it is meaningless and dropped)."""
    return _normalise(raw, hints)


def _is_stop(node: Node) -> bool:
    return isinstance(node, Term) and not node.prefix and node.word in STOP_WORDS


def _without_stop_words(node: Node) -> Node:
    """Leave out bare stop words (``the``, ``не``) wherever something more specific stands beside them."""
    if isinstance(node, AnyOf):
        options = [_without_stop_words(option) for option in node.options]
        kept = [option for option in options if not _is_stop(option)] or options
        return kept[0] if len(kept) == 1 else AnyOf(tuple(kept))
    if isinstance(node, AllOf):
        must = [_without_stop_words(item) for item in node.must]
        kept = [item for item in must if not _is_stop(item)] or must
        must_not = [_without_stop_words(item) for item in node.must_not if not _is_stop(item)]
        return kept[0] if len(kept) == 1 and not must_not else AllOf(tuple(kept), tuple(must_not))
    return node


def _limit_terms(tree: Node, hints: list[str]) -> Node | None:
    counter = [0]
    limited = _cut(tree, counter)
    if counter[0] > MAX_TERMS:
        hints.append(f"only the first {MAX_TERMS} words were used")
    return limited


def _cut(node: Node, counter: list[int]) -> Node | None:
    if isinstance(node, Term):
        counter[0] += 1
        return node if counter[0] <= MAX_TERMS else None
    if isinstance(node, Phrase):
        counter[0] += len(node.terms)
        return node if counter[0] <= MAX_TERMS else None
    if isinstance(node, AnyOf):
        options = [kept for option in node.options if (kept := _cut(option, counter)) is not None]
        if not options:
            return None
        return options[0] if len(options) == 1 else AnyOf(tuple(options))
    must = [kept for item in node.must if (kept := _cut(item, counter)) is not None]
    must_not = [kept for item in node.must_not if (kept := _cut(item, counter)) is not None]
    if not must:
        return None
    if len(must) == 1 and not must_not:
        return must[0]
    return AllOf(tuple(must), tuple(must_not))


def _collect_positive(node: Node | None, found: list[Term]) -> None:
    if node is None:
        return
    if isinstance(node, Term):
        found.append(node)
    elif isinstance(node, Phrase):
        found.extend(node.terms)
    elif isinstance(node, AnyOf):
        for option in node.options:
            _collect_positive(option, found)
    else:
        for item in node.must:
            _collect_positive(item, found)
