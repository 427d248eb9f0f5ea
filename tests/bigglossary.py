"""A glossary file of many terms, for the tests of a split glossary (unit and browser)."""

from __future__ import annotations

_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ"
_FIRST = _KANA + "かきくけこ" * 8


def big_glossary(n: int) -> str:
    """A glossary file (one group) of n terms with distinct readings spread over the kana rows; each term
    names the next in see_also, so none is unused."""
    lines = ["group: 大きな用語集", "terms:"]
    for i in range(n):
        # the first kana is か-row about half the time, so that row needs more than one page; the other
        # two make every reading unique
        reading = _FIRST[i % len(_FIRST)] + _KANA[i % len(_KANA)] + _KANA[(i // len(_KANA)) % len(_KANA)]
        lines += [f"  - term: 用語{i:04d}", f"    reading: {reading}", f"    slug: t{i:04d}",
                  f"    summary: 用語{i:04d}の要約です。", "    definition: 説明です。",
                  f"    see_also: [用語{(i + 1) % n:04d}]"]
    return "\n".join(lines) + "\n"
