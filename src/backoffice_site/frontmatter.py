"""Splitting a Markdown file into its YAML front matter and its body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass

from backoffice_site.diagnostics import Diagnostics, Loc


@dataclass(frozen=True)
class Split:
    yaml_text: str
    yaml_first_line: int  # 1-based line of the first YAML line
    body: str
    body_first_line: int  # 1-based line of the first body line


def split(text: str, path: str, diags: Diagnostics) -> Split | None:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        diags.error(Loc(path, 1, 1), "missing front matter: start the file with a line '---', then "
                    "'title:' and 'description:', then another '---'")
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return Split("\n".join(lines[1:i]), 2, "\n".join(lines[i + 1 :]), i + 2)
    diags.error(Loc(path, 1, 1), "front matter is not closed: add a line '---' after the last field")
    return None
