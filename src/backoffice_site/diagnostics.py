"""Errors as data: every stage returns what it found wrong instead of raising.

A diagnostic prints in the compiler convention editors and CI understand:
``content/articles/keiri.md:3:7: error: unknown field 'titel' (did you mean 'title'?)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a source file: path relative to the site root, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def shifted(self, lines: int) -> Loc:
        return Loc(self.path, self.line + lines, self.col)


@dataclass(frozen=True)
class Diagnostic:
    loc: Loc
    severity: Severity
    message: str
    # True for what the calendar raises, not an edit (a review date or a planned change's day has passed): the
    # same content gives it from a certain day on. Printed the same; `check --strict` still fails on it.
    dated: bool = False

    def format(self) -> str:
        return f"{self.loc}: {self.severity.value}: {self.message}"


@dataclass
class Diagnostics:
    """A collector passed down the pipeline; the only mutable thing stages share."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, loc: Loc, message: str) -> None:
        self.items.append(Diagnostic(loc, Severity.ERROR, message))

    def warning(self, loc: Loc, message: str, dated: bool = False) -> None:
        self.items.append(Diagnostic(loc, Severity.WARNING, message, dated))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self) -> list[Diagnostic]:
        # Stable, file-ordered output; duplicates (same place, same text) are shown once.
        seen: set[Diagnostic] = set()
        out = []
        for d in sorted(self.items, key=lambda d: (d.loc, d.severity.value, d.message)):
            if d not in seen:
                seen.add(d)
                out.append(d)
        return out


def promote_warnings(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``--strict``: every warning counts as an error."""
    return [Diagnostic(d.loc, Severity.ERROR, d.message, d.dated) for d in diags]


def count_line(diags: Iterable[Diagnostic]) -> str:
    items = list(diags)
    e = sum(1 for d in items if d.severity is Severity.ERROR)
    w = len(items) - e
    parts = [f"{e} error{'s' if e != 1 else ''}"]
    if w:
        parts.append(f"{w} warning{'s' if w != 1 else ''}")
    return ", ".join(parts)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'title'?)`` or the empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
