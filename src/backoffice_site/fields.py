"""Typed access to YAML mappings for the loaders: unknown, missing and mistyped fields reported at their
line:col."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from backoffice_site import yamlsrc
from backoffice_site.diagnostics import Diagnostics, Loc, did_you_mean
from backoffice_site.yamlsrc import YMap, YNode, shown

T = TypeVar("T")


class Fields:
    """Typed access to one YAML mapping, reporting unknown, missing and mistyped fields."""

    def __init__(self, node: YMap, allowed: tuple[str, ...], what: str, diags: Diagnostics):
        self.node, self.diags = node, diags
        for key, (kloc, _) in node.items.items():
            if key not in allowed:
                diags.warning(kloc, f"unknown field '{shown(key)}' in {what}{did_you_mean(key, allowed)}")

    def loc(self, key: str) -> Loc | None:
        item = self.node.items.get(key)
        return item[1].loc if item else None

    def get(self, key: str, conv: Callable[[YNode, str, Diagnostics], T | None],
            required: bool = False, what: str = "") -> T | None:
        item = self.node.items.get(key)
        if item is None:
            if required:
                self.diags.error(self.node.loc, f"missing required field '{key}'{what}")
            return None
        return conv(item[1], key, self.diags)

    def node_of(self, key: str) -> YNode | None:
        item = self.node.items.get(key)
        return item[1] if item else None


def str_field(node: YNode, key: str, diags: Diagnostics) -> str | None:
    return yamlsrc.as_str(node, key, diags)


def parse_mapping(text: str, path: str, diags: Diagnostics, line_offset: int = 0,
                   what: str = "this file") -> YMap | None:
    node = yamlsrc.parse(text, path, diags, line_offset)
    if node is None:
        return None
    if not isinstance(node, YMap):
        diags.error(node.loc, f"{what} must be a YAML mapping of 'field: value' lines, "
                    f"not {yamlsrc.kind_name(node)}")
        return None
    return node
