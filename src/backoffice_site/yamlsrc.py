"""YAML with source positions, and none of YAML's surprises.

We compose (never construct) so that no tag can ever run code, every value keeps the line and column it
came from, duplicate keys are caught (PyYAML's loader silently keeps the last one), and plain scalars
keep the text the author wrote: ``term: no`` stays the string ``no`` where a string is expected instead
of becoming ``False``. Anchors/aliases are allowed, but expanding them is capped (billion-laughs).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import yaml

from backoffice_site import heap
from backoffice_site.diagnostics import Diagnostics, Loc

try:  # libyaml is 5-7x faster; the pure-Python loader is the fallback.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge",
}
_MAX_EXPANSION = 20  # visited nodes may exceed distinct nodes by this factor before we call it a bomb
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class YScalar:
    value: str
    tag: str
    style: str  # '' plain, '"' or "'" quoted, '|' or '>' block
    loc: Loc

    @property
    def quoted(self) -> bool:
        return self.style in ('"', "'")

    @property
    def text_line(self) -> int:
        """Line where the text itself starts (a block scalar starts on the line after '|')."""
        return self.loc.line + (1 if self.style in ("|", ">") else 0)


@dataclass(frozen=True)
class YSeq:
    items: tuple[YNode, ...]
    loc: Loc


@dataclass(frozen=True)
class YMap:
    # key -> (location of the key, value)
    items: dict[str, tuple[Loc, YNode]]
    loc: Loc


YNode = YScalar | YSeq | YMap


class _BombError(Exception):
    pass


def _loc(path: str, mark: yaml.Mark | None, line_offset: int) -> Loc:
    if mark is None:
        return Loc(path, line_offset + 1, 1)
    return Loc(path, mark.line + 1 + line_offset, mark.column + 1)


def parse(text: str, path: str, diags: Diagnostics, line_offset: int = 0) -> YNode | None:
    """Parse one YAML document into position-carrying nodes; problems go to ``diags``."""
    with heap.paused():
        return _parse(text, path, diags, line_offset)


def _parse(text: str, path: str, diags: Diagnostics, line_offset: int) -> YNode | None:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        diags.error(_loc(path, mark, line_offset), shown(f"malformed YAML: {problem}{ctx}", limit=0))
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no line, and libyaml counts bytes
        pos = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        before = text[:pos] if pos >= 0 else text.encode()[: exc.position].decode("utf-8", "ignore")
        loc = Loc(path, line_offset + before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        diags.error(loc, f"malformed YAML: character {char} is not allowed ({exc.reason}); remove it")
        return None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())  # one diagnostic, one line
        diags.error(Loc(path, line_offset + 1, 1), f"malformed YAML: {message}")
        return None
    if node is None:
        return None
    distinct = _count_distinct(node)
    budget = [distinct * _MAX_EXPANSION + 10_000]
    try:
        return _convert(node, path, line_offset, diags, budget)
    except _BombError:
        diags.error(
            _loc(path, node.start_mark, line_offset),
            "YAML aliases expand to too many values (an alias bomb?); write the values out instead",
        )
        return None
    except RecursionError:
        diags.error(_loc(path, node.start_mark, line_offset), "YAML is nested too deeply")
        return None


def _count_distinct(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append(k)
                stack.append(v)
    return len(seen)


def _convert(node: yaml.Node, path: str, off: int, diags: Diagnostics, budget: list[int]) -> YNode:
    budget[0] -= 1
    if budget[0] < 0:
        raise _BombError
    loc = _loc(path, node.start_mark, off)
    if node.tag not in _STD_TAGS:
        diags.error(loc, f"YAML tag '{node.tag}' is not allowed here; remove it")
    if isinstance(node, yaml.ScalarNode):
        return YScalar(str(node.value), node.tag, node.style or "", loc)
    if isinstance(node, yaml.SequenceNode):
        return YSeq(tuple(_convert(v, path, off, diags, budget) for v in node.value), loc)
    assert isinstance(node, yaml.MappingNode)
    items: dict[str, tuple[Loc, YNode]] = {}
    for knode, vnode in node.value:
        kloc = _loc(path, knode.start_mark, off)
        if not isinstance(knode, yaml.ScalarNode):
            diags.error(kloc, "a mapping key must be a plain word, not a list or mapping")
            continue
        key = str(knode.value)
        if key in items:
            first = items[key][0]
            diags.error(kloc, f"duplicate key '{shown(key)}' (first defined at line {first.line}); keep one")
            continue
        items[key] = (kloc, _convert(vnode, path, off, diags, budget))
    return YMap(items, loc)


# --- typed accessors: each returns None and records a diagnostic when the node does not fit ---------

_NULL = "tag:yaml.org,2002:null"


_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def shown(text: str, limit: int = 60) -> str:
    """The author's text inside a diagnostic: on one line (a diagnostic is one line) and not too long."""
    one = _LINE_BREAK.sub(lambda m: "\\n" if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text)
    return one if not limit or len(one) <= limit else one[: limit - 1] + "…"


def one_line(value: str, loc: Loc, field: str, diags: Diagnostics) -> bool:
    """False (with an error) when a name or key has a line break inside it."""
    if _LINE_BREAK.search(value.strip()):
        diags.error(loc, f"'{field}' must be on one line: '{shown(value)}'")
        return False
    return True


def kind_name(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.tag == _NULL:
        return "nothing (null)"
    return f"'{shown(node.value)}'"


def _blank(text: str) -> bool:
    """Nothing a reader could see: only whitespace and format characters (zero-width space, bidi marks)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def as_str(node: YNode, field: str, diags: Diagnostics, *, allow_empty: bool = False) -> str | None:
    if isinstance(node, YScalar) and node.tag != _NULL:
        # Plain scalars that YAML 1.1 would turn into bools/numbers/dates keep the author's text.
        if not allow_empty and _blank(node.value):
            diags.error(node.loc, f"'{field}' is empty (or holds only spaces and invisible characters)")
            return None
        control = _CONTROL.search(node.value)  # only reachable through escapes such as "\0" or "\a"
        if control:
            diags.error(node.loc, f"'{field}' holds the control character U+{ord(control.group()):04X}; remove it")
            return None
        return node.value
    diags.error(node.loc, f"'{field}' must be text, not {kind_name(node)}")
    return None


def as_bool(node: YNode, field: str, diags: Diagnostics) -> bool | None:
    if isinstance(node, YScalar) and node.tag == "tag:yaml.org,2002:bool" and not node.quoted:
        return node.value.lower() in ("true", "yes", "on")
    diags.error(node.loc, f"'{field}' must be true or false, not {kind_name(node)}")
    return None


def as_int(node: YNode, field: str, diags: Diagnostics) -> int | None:
    if isinstance(node, YScalar) and re.fullmatch(r"[-+]?\d+", node.value.strip()):
        return int(node.value)
    diags.error(node.loc, f"'{field}' must be a whole number, not {kind_name(node)}")
    return None


def as_date(node: YNode, field: str, diags: Diagnostics) -> dt.date | None:
    if isinstance(node, YScalar) and _DATE_RE.match(node.value.strip()):
        try:
            return dt.date.fromisoformat(node.value.strip())
        except ValueError:
            pass
    value = shown(node.value) if isinstance(node, YScalar) else kind_name(node)
    diags.error(node.loc, f"invalid date '{value}' in '{field}' (expected YYYY-MM-DD, e.g. 2026-04-01)")
    return None


def as_str_list(node: YNode, field: str, diags: Diagnostics) -> list[tuple[str, Loc]] | None:
    if not isinstance(node, YSeq):
        diags.error(node.loc, f"'{field}' must be a list (e.g. [a, b]), not {kind_name(node)}")
        return None
    out = []
    for item in node.items:
        s = as_str(item, field, diags)
        if s is not None:
            out.append((s, item.loc))
    return out
