"""Hepburn romanization of kana readings, for default URL slugs (ゆうきゅうきゅうか → yukyukyuka).

Long vowels are written without macrons and without doubling (おう/うう/ー → o/u), as in everyday
romanized Japanese; the result always matches ``[a-z0-9-]+`` or is empty.
"""

from __future__ import annotations

import re

from backoffice_site.kana import to_hiragana

_BASE = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "ゐ": "i", "ゑ": "e", "を": "o", "ん": "n",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ゔ": "vu",
    "ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o", "ゃ": "ya", "ゅ": "yu", "ょ": "yo",
    "ゎ": "wa", "ゕ": "ka", "ゖ": "ke",
}
_YOON = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_SPECIAL_SMALL_VOWEL = {  # katakana loanword combinations: ティ, ファ, ウィ, ヴァ …
    "てぃ": "ti", "でぃ": "di", "とぅ": "tu", "どぅ": "du", "ふぁ": "fa", "ふぃ": "fi", "ふぇ": "fe",
    "ふぉ": "fo", "うぃ": "wi", "うぇ": "we", "うぉ": "wo", "ゔぁ": "va", "ゔぃ": "vi", "ゔぇ": "ve",
    "ゔぉ": "vo", "しぇ": "she", "じぇ": "je", "ちぇ": "che", "つぁ": "tsa", "いぇ": "ye",
}


def romanize(reading: str) -> str:
    """Kana → lowercase Hepburn; characters that are not kana are dropped."""
    h = to_hiragana(reading)
    out: list[str] = []
    i = 0
    geminate = False
    while i < len(h):
        ch = h[i]
        two = h[i : i + 2]
        syl = ""
        if two in _SPECIAL_SMALL_VOWEL:
            syl, i = _SPECIAL_SMALL_VOWEL[two], i + 2
        elif len(two) == 2 and two[1] in _YOON and ch in _BASE and ch not in _YOON:
            stem = _BASE[ch][:-1]  # き → k, し → sh, ち → ch, じ → j
            if stem in ("sh", "ch", "j"):
                syl = stem + _YOON[two[1]]
            else:
                syl = stem + "y" + _YOON[two[1]]
            i += 2
        elif ch == "っ":
            geminate = True
            i += 1
            continue
        elif ch == "ー":
            i += 1
            continue
        elif ch in _BASE:
            syl, i = _BASE[ch], i + 1
        else:
            syl, i = ("-" if not ch.isalnum() else ch.lower() if ch.isascii() else "-"), i + 1
        if geminate and syl and syl[0].isalpha() and syl[0] not in "aeioun":
            syl = ("t" if syl.startswith("ch") else syl[0]) + syl
        geminate = False
        out.append(syl)
    text = "".join(out)
    # Long vowels: ou, oo, uu → o, o, u (ei stays, as in 'keiyaku').
    text = re.sub(r"o[ou]", "o", text)
    text = re.sub(r"uu", "u", text)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text
