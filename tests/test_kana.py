"""Gojūon ordering (JIS X 4061 style), kana rows and romanized slugs."""

from __future__ import annotations

import pytest

from backoffice_site.kana import non_kana, row_of, sort_key, to_hiragana, to_katakana
from backoffice_site.romaji import romanize


def ordered(*words: str) -> list[str]:
    return sorted(words, key=sort_key)


@pytest.mark.parametrize("chain", [
    ("かく", "かぐ", "がく"),  # voiced marks break ties only, position by position
    ("は", "ば", "ぱ", "はあ"),  # plain < voiced < semi-voiced, and all before a longer word
    ("ああく", "あーく", "ああけ"),  # ー is read as the vowel before it, and sorts after that vowel
    ("つき", "つぎ", "づき"),
    ("しょう", "しよう", "じょう", "じよう"),  # small kana sort before plain at the same position
    ("はつ", "はっつ"),
    ("ぱーと", "ぱあとな"),
    ("あい", "アイ"),  # hiragana before katakana when all else is equal
    ("けいり", "けいりぶ", "げんせん"),
    ("カード", "かいこ", "がいこく"),  # カード is read かあど: あ < い
])
def test_gojuon_chains(chain: tuple[str, ...]) -> None:
    assert ordered(*reversed(chain)) == list(chain)
    assert ordered(*chain) == list(chain)


def test_katakana_folds_to_hiragana_at_the_first_level() -> None:
    assert sort_key("パート")[0] == sort_key("ぱあと")[0]
    assert sort_key("パート") != sort_key("ぱーと")  # but the tie is broken deterministically


def test_long_vowel_after_each_vowel_row() -> None:
    assert sort_key("キー")[0] == ("き", "い")
    assert sort_key("スー")[0] == ("す", "う")
    assert sort_key("メール")[0] == ("め", "え", "る")
    assert sort_key("コード")[0] == ("こ", "お", "と")
    assert sort_key("シャー")[0] == ("し", "や", "あ")


@pytest.mark.parametrize(("reading", "row"), [
    ("あるばいと", "あ"), ("がくめん", "か"), ("ざんぎょう", "さ"), ("でーたにゅうりょく", "た"),
    ("にっきゅう", "な"), ("ぱーと", "は"), ("マイナンバー", "ま"), ("ゆうきゅう", "や"),
    ("ろうどう", "ら"), ("わーく", "わ"), ("ヴィザ", "あ"), ("ぁ", "あ"),
])
def test_rows(reading: str, row: str) -> None:
    assert row_of(reading) == row


def test_kana_validation() -> None:
    assert non_kana("ゆうきゅうきゅうか") == []
    assert non_kana("パートタイマー") == []
    assert non_kana("けいri") == [(2, "r"), (3, "i")]
    assert non_kana("有給") == [(0, "有"), (1, "給")]
    assert to_hiragana("パート") == "ぱーと" and to_katakana("ぱーと") == "パート"


@pytest.mark.parametrize(("reading", "slug"), [
    ("ゆうきゅうきゅうか", "yukyukyuka"), ("げんせんちょうしゅう", "gensenchoshu"),
    ("しゃかいほけん", "shakaihoken"), ("きっぷ", "kippu"), ("マッチ", "matchi"), ("ぱーと", "pato"),
    ("てぃっしゅ", "tisshu"), ("じゅうみんぜい", "juminzei"), ("けいやく", "keiyaku"), ("ファイル", "fairu"),
])
def test_romanized_slugs(reading: str, slug: str) -> None:
    assert romanize(reading) == slug
