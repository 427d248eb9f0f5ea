"""Kana: validation, folding, gojūon (JIS X 4061 style) ordering and kana rows.

Readings are compared in three levels, as Japanese dictionaries and indexes order them:

1. the base kana: katakana folded to hiragana, voiced/semi-voiced marks and small kana folded to the
   plain kana, ``ー`` read as the vowel of the kana before it;
2. ties broken per position by small < plain < voiced (濁音) < semi-voiced (半濁音);
3. then hiragana < katakana < the long-vowel mark (so ああく < あーく < アーク).
"""

from __future__ import annotations

import functools
import unicodedata

HIRAGANA_FIRST, HIRAGANA_LAST = 0x3041, 0x3096
KATAKANA_FIRST, KATAKANA_LAST = 0x30A1, 0x30FA
CHOON = "ー"

_SMALL = dict(zip("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ", strict=True))
_VOWEL_ROWS = {
    "あ": "あかさたなはまやらわがざだばぱぁゃゎ",
    "い": "いきしちにひみりゐぎじぢびぴぃ",
    "う": "うくすつぬふむゆるぐずづぶぷぅっゅゔ",
    "え": "えけせてねへめれゑげぜでべぺぇ",
    "お": "おこそとのほもよろをごぞどぼぽぉょ",
}
_VOWEL_OF = {k: v for v, ks in _VOWEL_ROWS.items() for k in ks}
ROWS = ("あ", "か", "さ", "た", "な", "は", "ま", "や", "ら", "わ")
_ROW_OF = {}
for _row, _members in zip(
    ROWS,
    ("あいうえお", "かきくけこ", "さしすせそ", "たちつてと", "なにぬねの", "はひふへほ",
     "まみむめも", "やゆよ", "らりるれろ", "わゐゑをん"),
    strict=True,
):
    for _k in _members:
        _ROW_OF[_k] = _row

SMALL, PLAIN, VOICED, SEMI = 0, 1, 2, 3


def is_kana_char(ch: str) -> bool:
    o = ord(ch)
    return HIRAGANA_FIRST <= o <= HIRAGANA_LAST or KATAKANA_FIRST <= o <= KATAKANA_LAST or ch == CHOON


def is_katakana_char(ch: str) -> bool:
    o = ord(ch)
    return KATAKANA_FIRST <= o <= KATAKANA_LAST or ch == CHOON


def non_kana(reading: str) -> list[tuple[int, str]]:
    """Positions and characters in ``reading`` that are not kana (empty when the reading is valid)."""
    return [(i, ch) for i, ch in enumerate(reading) if not is_kana_char(ch)]


def to_hiragana(text: str) -> str:
    return "".join(
        chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text
    )


def to_katakana(text: str) -> str:
    return "".join(
        chr(ord(c) + 0x60) if 0x3041 <= ord(c) <= 0x3096 else c for c in text
    )


def _fold(ch: str) -> tuple[str, int, int]:
    """(base hiragana, voicing class, script class) for one character."""
    decomposed = unicodedata.normalize("NFD", ch)  # が → か + ◌゙ ; ヷ → ワ + ◌゙ (no hiragana twin)
    base, mark = decomposed[0], decomposed[1:]
    script = 0
    if 0x30A1 <= ord(base) <= 0x30F6:
        base = chr(ord(base) - 0x60)
        script = 1
    if mark == "\u3099":
        return base, VOICED, script
    if mark == "\u309a":
        return base, SEMI, script
    if mark:  # not kana: keep the character whole so that different readings never compare equal
        return ch, PLAIN, script
    if base in _SMALL:
        return _SMALL[base], SMALL, script
    return base, PLAIN, script


SortKey = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]


@functools.lru_cache(maxsize=1 << 16)  # pure; readings repeat on every rebuild
def sort_key(reading: str) -> SortKey:
    """Gojūon collation key for a reading (a total order; see the module docstring)."""
    bases: list[str] = []
    voicing: list[int] = []
    scripts: list[int] = []
    for ch in unicodedata.normalize("NFKC", reading):
        if ch == CHOON:
            prev = bases[-1] if bases else ""
            bases.append(_VOWEL_OF.get(prev, prev or CHOON))
            voicing.append(PLAIN)
            scripts.append(2)
            continue
        base, v, s = _fold(ch)
        bases.append(base)
        voicing.append(v)
        scripts.append(s)
    return tuple(bases), tuple(voicing), tuple(scripts)


@functools.lru_cache(maxsize=1 << 16)
def row_of(reading: str) -> str:
    """The kana row heading (あ … わ) a reading files under; ``その他`` when it starts with no kana."""
    bases = sort_key(reading)[0]
    if not bases:
        return "その他"
    return _ROW_OF.get(bases[0], "あ" if bases[0] == "ゔ" else "その他")
