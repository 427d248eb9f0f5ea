"""static/ and templates/, which every build reads whole, kept by a live Builder while the changes name
nothing in them.

A build lists static/ and hashes its files (asset URLs carry the hashes), and digests every template
(pages are rendered again when theirs changes). When the build is told which files changed (the dev
server's batch: ``change_set.changed_files``) and none is in the folder, the folder is as it was: its
listing, hashes or digests are last time's, without reading a file. Told nothing, it reads the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backoffice_site import output
from backoffice_site.diagnostics import Diagnostic, Diagnostics
from backoffice_site.render import Renderer, static_hashes


def _untouched(known: frozenset[Path] | None, folder: Path) -> bool:
    return known is not None and not any(folder in p.parents for p in known)


@dataclass
class KeptFolders:
    _statics: tuple[Path, dict[str, Path], dict[str, str], tuple[Diagnostic, ...]] | None = None
    _templates: tuple[Renderer, dict[str, str]] | None = None

    def statics(self, folder: Path, known: frozenset[Path] | None,
                diags: Diagnostics) -> tuple[dict[str, Path], dict[str, str]]:
        """static/'s files by output path, and their hashes (``output.static_files``, ``static_hashes``)."""
        kept = self._statics
        if kept is not None and kept[0] == folder and _untouched(known, folder):
            diags.extend(kept[3])
            return kept[1], kept[2]
        local = Diagnostics()
        files = output.static_files(folder, local)
        hashes = static_hashes(files)
        diags.extend(local.items)
        self._statics = (folder, files, hashes, tuple(local.items))
        return files, hashes

    def template_digests(self, renderer: Renderer, known: frozenset[Path] | None) -> dict[str, str]:
        kept = self._templates
        if kept is not None and kept[0] is renderer and _untouched(known, renderer.templates_dir):
            return kept[1]
        digests = renderer.template_digests()
        self._templates = (renderer, digests)
        return digests
