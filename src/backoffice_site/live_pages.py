"""What a Builder that stays alive (the dev server's) keeps of its last build's pages, so a save works on the
pages it changes and not on every page of the site.

The build cache (``build_cache.BuildCache``) holds each page's record (``pages``) and the inputs it read
(``reads``). A cold build and a new process make both anew, page by page. A save in a live process does
not need to: when the page set is the one its last build made, the records of the pages it does not
look at stay as they are, and it only replaces those of the pages it builds again (``Builder._render``).
Two more things make that save independent of the site's size:

- ``readers``: the reverse of ``reads`` (input → the pages that read it), so finding the pages an edited
  input reaches does not test every page (``change_set.pages_to_view``). Made from ``reads`` when first
  asked for, then kept in step with each page whose reads change; dropped whenever ``reads`` is made anew.
- ``tdigests``: the template digests every kept record was rendered with. A build after a complete one
  with the same digests has no page whose template changed, so it need not compare every record's.

Anything unusual (no last build, another page set, an output folder, a build that stopped half-way)
takes the full path, which stays the reference: ``tests/test_incremental.py`` compares both with cold
builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from backoffice_site.incremental import Key

Readers = dict[Key, set[str]]


@dataclass
class LivePages:
    paths: frozenset[str] | None = None  # the page set of the last complete build
    files: dict[str, bytes | Path] | None = None  # every page's bytes, as that build gave them
    tdigests: dict[str, str] | None = None  # the template digests its records were made with
    _readers: Readers | None = None
    busy: bool = False  # a build is changing the records in place (see ``Builder._render``)

    def can_patch(self, paths: frozenset[str]) -> bool:
        """True when a build may update the last build's records in place (same page set, completed)."""
        return not self.busy and self.files is not None and self.paths is not None and \
            (self.paths is paths or self.paths == paths)

    def readers(self, reads: Mapping[str, frozenset[Key]]) -> Readers:
        if self._readers is None:
            out: Readers = {}
            for page, keys in reads.items():
                for k in keys:
                    out.setdefault(k, set()).add(page)
            self._readers = out
        return self._readers

    def moved(self, page: str, before: Iterable[Key], after: frozenset[Key]) -> None:
        """``page`` now reads ``after`` instead of ``before``: keep ``readers`` in step (when made)."""
        r = self._readers
        if r is None:
            return
        for k in before:
            if k not in after:
                pages = r.get(k)
                if pages is not None:
                    pages.discard(page)
        for k in after:
            r.setdefault(k, set()).add(page)

    def forget(self) -> None:
        """The records were made anew (or may be half-changed): nothing kept here describes them."""
        self.paths = self.files = self.tdigests = self._readers = None
        self.busy = False

    def done(self, paths: frozenset[str], files: dict[str, bytes | Path], tdigests: dict[str, str],
             patched: bool) -> None:
        """A build completed; ``patched``: it changed the records in place (else ``readers`` is stale)."""
        if not patched:
            self._readers = None
        self.paths, self.files, self.tdigests, self.busy = paths, files, tdigests, False
