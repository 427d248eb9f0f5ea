"""The page kinds of a site, in one place: the build asks each for its URLs and its pages."""

from __future__ import annotations

from backoffice_site.kinds import Kind, articles, feeds, glossary, home, misc, terms

PAGE_KINDS: tuple[Kind, ...] = (home, articles, glossary, terms, misc, feeds)
