"""The search index in parts (issue 12): which page goes to which part, and a rebuild re-indexes only the
parts whose pages changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import make_site, snapshot

from backoffice_site import build, search


def _pages(articles: int, terms: int) -> list[tuple[str, str | None]]:
    return ([(f"articles/a{i:05d}/index.html", "article.html") for i in range(articles)]
            + [(f"glossary/t{i:05d}/index.html", "term.html") for i in range(terms)]
            + [("index.html", "index.html"), ("glossary/index.html", "glossary.html"), ("sitemap.xml", None)])


def test_only_article_and_term_pages_are_indexed_in_parts_of_bounded_size() -> None:
    part_of = search.plan(_pages(1000, 3000))
    assert len(part_of) == 4000  # home, glossary listings and files are not indexed
    sizes: dict[str, int] = {}
    for name in part_of.values():
        sizes[name] = sizes.get(name, 0) + 1
    assert sizes == {"terms": 3000, "articles": 1000}
    two = search.plan(_pages(1800, 0))
    assert sorted(set(two.values())) == ["articles", "articles-2"]
    many = search.plan(_pages(10_000, 0))  # never more than MAX_PARTS per kind: the parts grow instead
    assert sorted(set(many.values())) == ["articles", "articles-2", "articles-3", "articles-4", "articles-5"]


@pytest.mark.parametrize("articles,terms", [(0, 0), (1, 0), (0, 1), (11, 86), (1000, 5000), (1001, 5001), (1000, 3000),
                                            (10_000, 10_000)])
def test_the_search_page_knows_the_bundles_from_the_page_counts(articles: int, terms: int) -> None:
    names = search.part_order(search.plan(_pages(articles, terms)).values())
    dirs = search.bundle_dirs(articles, terms)
    assert len(dirs) == len(names)
    assert dirs[:1] == (["pagefind/"] if names else [])
    assert dirs[1:] == [f"pagefind/{n}/" for n in names[1:]]


def test_a_small_site_is_one_part_and_the_search_page_loads_one_bundle() -> None:
    small = search.plan(_pages(12, 113))  # this repository's size
    assert set(small.values()) == {"site"} and len(small) == 125
    assert search.bundle_dirs(12, 113) == ["pagefind/"]
    # one page over the line: terms and articles apart again
    n = search.TOGETHER
    assert set(search.plan(_pages(n - 99, 100)).values()) == {"terms", "articles"}
    assert len(search.bundle_dirs(n - 99, 100)) == 2


def test_an_edit_keeps_every_page_in_its_part_and_an_added_page_moves_few() -> None:
    before = search.plan(_pages(1800, 10))
    assert search.plan(list(reversed(_pages(1800, 10)))) == before  # order of the pages does not matter
    after = search.plan([*_pages(1800, 10), ("articles/new/index.html", "article.html")])  # still 2 parts
    moved = [p for p in before if before[p] != after[p]]
    assert len(moved) <= 3  # only pages at the edges of the hash-ordered runs


class _CountingService(search.Service):
    made: ClassVar[list[int]] = []

    def new_index(self, config: dict | None = None) -> int:  # type: ignore[type-arg]
        _CountingService.made.append(1)
        return super().new_index(config)


def test_a_rebuild_reindexes_only_the_part_whose_pages_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if search.find_binary()[0] is None:
        pytest.skip("no Pagefind binary")
    monkeypatch.delenv(search.SWITCH, raising=False)
    monkeypatch.setattr(search, "Service", _CountingService)
    # parts as a large site has them (this small fixture would be one part: TOGETHER)
    monkeypatch.setattr(search, "PUBLISHED", dataclasses.replace(search.PUBLISHED, together=0))
    root = make_site(tmp_path / "site")
    out = tmp_path / "out"
    builder = build.Builder(build.BuildOptions(root=root, out=out))
    assert builder.build().ok
    assert len(_CountingService.made) == 2  # cold: terms and articles
    first = snapshot(out)
    article = root / "content/articles/first.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n追記した段落です。\n", encoding="utf-8")
    _CountingService.made.clear()
    assert builder.build().ok
    assert len(_CountingService.made) == 1  # the articles' part only
    second = snapshot(out)
    def part(files: dict[str, bytes], articles: bool) -> dict[str, bytes]:
        return {k: v for k, v in files.items()
                if k.startswith("pagefind/") and k.startswith("pagefind/articles/") == articles}

    assert part(second, articles=False) == part(first, articles=False)  # the terms' bundle is untouched
    assert part(second, articles=True) != part(first, articles=True)
    _CountingService.made.clear()
    assert builder.build().ok
    assert _CountingService.made == []  # nothing changed: nothing indexed
