"""The console reporter shared by the command line and the dev server: diagnostics, then a count line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from backoffice_site.diagnostics import Diagnostic, count_line


def print_diagnostics(diagnostics: Sequence[Diagnostic], stream: TextIO) -> None:
    for d in diagnostics:
        print(d.format(), file=stream)
    if diagnostics:
        print(count_line(diagnostics), file=stream, flush=True)
