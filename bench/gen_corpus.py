"""Deterministic synthetic Japanese corpus in backoffice-site's own layout.

    python bench/gen_corpus.py SIZE OUTDIR        # SIZE: small | medium | large

Writes OUTDIR/content/{site.yaml,articles/*.md,glossary/*.yaml} plus a copy of the repository's
templates/ and static/ (so a benchmark build exercises the real templates). The same SIZE gives the same
bytes on every run and machine: every random choice comes from ``random.Random`` seeded with a string
(string seeds are hashed with SHA-512, so PYTHONHASHSEED does not matter) and nothing iterates a set.

Term names are ``P + S``: a first word from ``_FIRST`` (2-kanji or katakana) followed by a 2-kanji second
word from ``_SECOND``. Because no first word is a second word and all second words have the same length,
no term name is a substring of another, so the auto-linker's longest-match rule never has to choose and
every natural mention links exactly the intended term. Hand-written filler text is checked at import time
never to contain a ``P + S`` pair, so no term is linked by accident.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = "backoffice-site-bench-20261127"
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Size:
    articles: int
    terms: int


SIZES = {
    "small": Size(100, 300),
    "medium": Size(1_000, 3_000),
    "large": Size(10_000, 10_000),
}

# kanji-or-katakana word, reading (hiragana), romaji (for slugs). One per line.
_FIRST = """
給与 きゅうよ kyuyo|経理 けいり keiri|人事 じんじ jinji|総務 そうむ somu|法務 ほうむ homu|税務 ぜいむ zeimu
労務 ろうむ romu|購買 こうばい kobai|物流 ぶつりゅう butsuryu|在庫 ざいこ zaiko|請求 せいきゅう seikyu
売掛 うりかけ urikake|買掛 かいかけ kaikake|決算 けっさん kessan|予算 よさん yosan|原価 げんか genka
固定 こてい kotei|資産 しさん shisan|負債 ふさい fusai|資本 しほん shihon|採用 さいよう saiyo
研修 けんしゅう kenshu|評価 ひょうか hyoka|勤怠 きんたい kintai|残業 ざんぎょう zangyo
休日 きゅうじつ kyujitsu|賞与 しょうよ shoyo|年金 ねんきん nenkin|保険 ほけん hoken|源泉 げんせん gensen
住民 じゅうみん jumin|消費 しょうひ shohi|法人 ほうじん hojin|印紙 いんし inshi|契約 けいやく keiyaku
稟議 りんぎ ringi|文書 ぶんしょ bunsho|備品 びひん bihin|施設 しせつ shisetsu|受付 うけつけ uketsuke
電話 でんわ denwa|郵便 ゆうびん yubin|出張 しゅっちょう shutcho|交通 こうつう kotsu|経費 けいひ keihi
精算 せいさん seisan|仕訳 しわけ shiwake|伝票 でんぴょう denpyo|帳簿 ちょうぼ chobo|監査 かんさ kansa
内部 ないぶ naibu|統制 とうせい tosei|債権 さいけん saiken|債務 さいむ saimu|与信 よしん yoshin
手形 てがた tegata|小口 こぐち koguchi|現金 げんきん genkin|預金 よきん yokin|振込 ふりこみ furikomi
口座 こうざ koza|為替 かわせ kawase|外貨 がいか gaika|輸出 ゆしゅつ yushutsu|輸入 ゆにゅう yunyu
通関 つうかん tsukan|倉庫 そうこ soko|出荷 しゅっか shukka|入荷 にゅうか nyuka|検品 けんぴん kenpin
発注 はっちゅう hatchu|受注 じゅちゅう juchu|納品 のうひん nohin|見積 みつもり mitsumori
顧客 こきゃく kokyaku|取引 とりひき torihiki|仕入 しいれ shiire|販売 はんばい hanbai|営業 えいぎょう eigyo
広報 こうほう koho|情報 じょうほう joho|機密 きみつ kimitsu|個人 こじん kojin|端末 たんまつ tanmatsu
派遣 はけん haken|雇用 こよう koyo|退職 たいしょく taishoku|入社 にゅうしゃ nyusha|異動 いどう ido
昇給 しょうきゅう shokyu|通勤 つうきん tsukin|扶養 ふよう fuyo|福利 ふくり fukuri|安全 あんぜん anzen
衛生 えいせい eisei|健康 けんこう kenko|データ でーた deta|システム しすてむ shisutemu
クラウド くらうど kuraudo|マニュアル まにゅある manyuaru|テレワーク てれわーく terewaku
ペーパーレス ぺーぱーれす peparesu|キャッシュ きゃっしゅ kyasshu|インボイス いんぼいす inboisu
シフト しふと shifuto|アカウント あかうんと akaunto|セキュリティ せきゅりてぃ sekyuriti
ファイル ふぁいる fairu|コンプライアンス こんぷらいあんす konpuraiansu
"""

_SECOND = """
管理 かんり kanri|計算 けいさん keisan|台帳 だいちょう daicho|制度 せいど seido|規程 きてい kitei
手続 てつづき tetsuzuki|申請 しんせい shinsei|承認 しょうにん shonin|報告 ほうこく hokoku|記録 きろく kiroku
集計 しゅうけい shukei|照合 しょうごう shogo|点検 てんけん tenken|分析 ぶんせき bunseki|計画 けいかく keikaku
方針 ほうしん hoshin|基準 きじゅん kijun|区分 くぶん kubun|期限 きげん kigen|様式 ようしき yoshiki
番号 ばんごう bango|窓口 まどぐち madoguchi|担当 たんとう tanto|責任 せきにん sekinin|権限 けんげん kengen
処理 しょり shori|業務 ぎょうむ gyomu|帳票 ちょうひょう chohyo|明細 めいさい meisai|一覧 いちらん ichiran
控除 こうじょ kojo|調整 ちょうせい chosei|精査 せいさ seisa|監視 かんし kanshi|保管 ほかん hokan
保存 ほぞん hozon|廃棄 はいき haiki|更新 こうしん koshin|登録 とうろく toroku|変更 へんこう henko
届出 とどけで todokede|通知 つうち tsuchi|証明 しょうめい shomei|確認 かくにん kakunin|決裁 けっさい kessai
起票 きひょう kihyo|入力 にゅうりょく nyuryoku|出力 しゅつりょく shutsuryoku|移行 いこう iko
連携 れんけい renkei|対応 たいおう taio|改善 かいぜん kaizen|監督 かんとく kantoku|指針 ししん shishin
要件 ようけん yoken|要領 ようりょう yoryo|細則 さいそく saisoku|目録 もくろく mokuroku
残高 ざんだか zandaka|差異 さい sai|比率 ひりつ hiritsu|単価 たんか tanka|総額 そうがく sogaku
上限 じょうげん jogen|下限 かげん kagen|期間 きかん kikan|周期 しゅうき shuki|会議 かいぎ kaigi
委員 いいん iin|部門 ぶもん bumon|拠点 きょてん kyoten|表示 ひょうじ hyoji|設定 せってい settei
認証 にんしょう ninsho|権利 けんり kenri|義務 ぎむ gimu|違反 いはん ihan|是正 ぜせい zesei
予測 よそく yosoku|評定 ひょうてい hyotei|査定 さてい satei|検査 けんさ kensa|調査 ちょうさ chosa
相談 そうだん sodan|教育 きょういく kyoiku|指導 しどう shido|支援 しえん shien|補助 ほじょ hojo
給付 きゅうふ kyufu|負担 ふたん futan|免除 めんじょ menjo|猶予 ゆうよ yuyo|納付 のうふ nofu
還付 かんぷ kanpu|徴収 ちょうしゅう choshu|算定 さんてい santei|判定 はんてい hantei|書式 しょしき shoshiki
原簿 げんぼ genbo|方式 ほうしき hoshiki|体制 たいせい taisei|規則 きそく kisoku|協定 きょうてい kyotei
統計 とうけい tokei|指標 しひょう shihyo|目標 もくひょう mokuhyo|実績 じっせき jisseki|予定 よてい yotei
状況 じょうきょう jokyo|履歴 りれき rireki|件数 けんすう kensu|手当 てあて teate|日数 にっすう nissu
"""

GROUPS = (
    ("g01-kyuyo", "給与・賞与", "給与と賞与の計算や支払いに関する用語です。"),
    ("g02-keiri", "経理・会計", "日々の記帳から決算までの用語です。"),
    ("g03-jinji", "人事・労務", "採用、評価、勤怠など人に関する用語です。"),
    ("g04-somu", "総務・庶務", "備品、施設、文書など会社を支える仕事の用語です。"),
    ("g05-zeimu", "税務・社会保険", "税金と社会保険の手続きに関する用語です。"),
    ("g06-butsuryu", "物流・購買", "仕入れ、在庫、出荷に関する用語です。"),
    ("g07-eigyo", "営業事務", "見積もりから請求までの用語です。"),
    ("g08-joho", "情報・システム", "社内の情報とシステムの扱いに関する用語です。"),
    ("g09-homu", "法務・契約", "契約と社内規程に関する用語です。"),
    ("g10-kansa", "監査・内部統制", "チェックと統制のしくみに関する用語です。"),
)

TAGS = ("基本", "入門", "実務", "経理", "給与", "人事", "総務", "法務", "税務", "物流", "営業", "IT", "新人向け",
        "チェックリスト", "手続き", "年末", "月末", "書類", "制度", "ふり返り")

# Hand-written text. {t}: a term name (natural mention), {u}: a second term name.
FILLER = (
    "毎月の締め日が近づくと、作業の量が一気に増えます。",
    "はじめは先輩の手順書を見ながら、一つずつ確かめて進めれば大丈夫です。",
    "わからないことは、その日のうちに聞いておくと後で困りません。",
    "同じ作業でも、会社によってやり方や呼び方が少しずつ違います。",
    "数字を扱う仕事では、速さよりも正確さが大切にされます。",
    "作業の記録を残しておくと、引き継ぎのときに役立ちます。",
    "ミスに気づいたら、すぐに上司へ伝えることがいちばんの近道です。",
    "慣れてきたら、なぜその順番で進めるのかも考えてみましょう。",
    "書類の置き場所を決めておくだけで、探す時間がぐっと減ります。",
    "期限のある作業は、カレンダーに書き込んで忘れないようにします。",
    "お客さまや取引先とのやりとりは、言葉づかいにも気を配ります。",
    "一日の終わりに、やり残したことを書き出しておくと翌朝が楽になります。",
    "紙で回していた作業を画面の上で済ませる会社も増えてきました。",
    "ほかの部署から頼まれた仕事は、いつまでに必要かを最初に聞いておきます。",
    "大事な連絡は、口頭だけでなくメールやチャットにも残しておきましょう。",
    "新しい仕組みが入るときは、しばらく古いやり方と並べて確かめます。",
    "忙しい時期ほど、ダブルチェックの時間を先に取っておくと安心です。",
    "担当者が休んでも回るように、手順は誰が読んでもわかる形にしておきます。",
    "小さな疑問でも、そのままにせずメモしておくことをおすすめします。",
    "前の月と比べて大きく変わった数字があれば、理由を確かめます。",
    "最初の一か月は、覚えることの多さに驚く人が少なくありません。",
    "決まりごとには、たいてい理由があります。",
    "困ったときに相談できる人を、早めに見つけておきましょう。",
    "作業の流れを図にしてみると、抜けている手順に気づきやすくなります。",
    "ファイル名のつけ方を統一しておくと、あとから探すのが楽になります。",
    "社外に出す書類は、送る前にもう一度だけ見直す習慣をつけます。",
    "手元の資料が最新のものかどうか、日付を見て確かめましょう。",
    "先輩のやり方を真似するところから始めて、少しずつ自分の形にしていきます。",
)
MENTION = (
    "まず押さえておきたいのが{t}です。",
    "{t}は、毎月の作業の中で何度も出てくる考え方です。",
    "実際の職場では、{t}をどう進めるかが話題になることがよくあります。",
    "はじめての人がつまずきやすいのは、{t}のところです。",
    "{t}について聞かれたら、社内の決まりを先に確かめるのが安全です。",
    "このとき、{t}の結果を上司に見てもらうことになります。",
    "会社によっては、{t}を専用の画面で行います。",
    "担当が変わるときは、{t}の進み具合を必ず引き継ぎます。",
    "ここで{t}を済ませておくと、月末の作業がずっと楽になります。",
    "新人のうちは、{t}の流れをひととおり見学させてもらうとよいでしょう。",
    "よくある質問の一つが、{t}はいつまでに終わらせればよいのか、というものです。",
    "経験者に話を聞くと、{t}で迷ったことがある人は多いようです。",
    "{t}と{u}は、似ているようで目的が違います。",
    "{t}が終わったら、続けて{u}に進みます。",
)
REPEAT = (
    "先ほどの{t}も、ここでもう一度見直しておきます。",
    "ここでも{t}の考え方が役に立ちます。",
)
EXPLICIT = (
    "言葉の意味は[[{t}]]の項目で確かめられます。",
    "くわしくは[[{t}|こちらの用語]]も参照してください。",
    "あわせて[[{t}]]も覚えておくと便利です。",
)
LINKS = (
    "関連する話題は「[{title}]({file})」でも取り上げています。",
    "流れの全体は[{title}]({file})にまとめました。",
    "前提となる知識は[こちらの記事]({file})で説明しています。",
)
HEADINGS = ("基本の考え方", "実務の流れ", "注意したい点", "ほかの部署との連携", "一日の流れ", "よくある質問",
            "新人が迷いやすいところ", "事例で考える", "道具と資料", "締め日の前後", "引き継ぎのコツ",
            "ふり返りのしかた", "社外とのやりとり", "覚えておきたい数字")
SUBHEADINGS = ("準備すること", "進め方の例", "確認のポイント", "よくある失敗", "記録の残し方", "相談の目安")
TOPICS = ("基本", "進め方", "チェックポイント", "よくある誤解", "実務の流れ", "はじめの一歩", "引き継ぎ",
          "ふり返り", "年間スケジュール", "効率化のヒント")
LIST_ITEMS = ("期限と担当者を最初に確かめる", "元になる資料を手元にそろえる", "前の月の結果と見比べる",
              "気になる点はメモに残す", "終わったら上司に報告する", "使った資料を決まった場所に戻す",
              "わからない言葉はその場で調べる", "作業の時間を記録しておく")
TABLE_ROWS = (("準備", "資料をそろえる", "前日まで"), ("作業", "手順書どおりに進める", "当日"),
              ("確認", "別の人が見直す", "翌日まで"), ("報告", "結果を上司に伝える", "週末まで"),
              ("保管", "決まった場所にしまう", "月末まで"))
QUOTES = ("わからないことを聞くのは、仕事を早く覚えるいちばんの方法です。",
          "数字は、うそをつかない。けれど、入力した人の思い込みはそのまま残る。",
          "手順書は、未来の自分への手紙だと思って書いてください。")
DEFINITION_MORE = (
    "会社の規模や業種によって、呼び方や進め方が異なることがあります。",
    "多くの会社では、担当者と確認者を分けて進めます。",
    "作業の結果は記録として一定の期間残しておくのが一般的です。",
    "期限を過ぎると、ほかの作業にも影響が出ることがあります。",
    "はじめての人は、先輩の作業を見ながら覚えるとよいでしょう。",
    "法律や社内の決まりが変わると、やり方も見直されます。",
    "紙の書類から画面での作業に切り替える会社が増えています。",
    "月末や年度末には、特に作業が集中しやすくなります。",
)
SOURCE_ORGS = ("厚生労働省", "国税庁", "日本年金機構", "経済産業省", "中小企業庁")


@dataclass(frozen=True)
class Word:
    text: str
    reading: str
    romaji: str


@dataclass(frozen=True)
class TermSpec:
    name: str
    reading: str
    slug: str
    first: str
    second: str


def _words(table: str) -> tuple[Word, ...]:
    rows = [r.split() for line in table.strip().splitlines() for r in line.split("|")]
    return tuple(Word(k, _hiragana(r), m) for k, r, m in rows)


def _hiragana(kana: str) -> str:
    """Katakana → hiragana (ー stays: readings may use it); our readings must be plain kana."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in kana)


FIRST, SECOND = _words(_FIRST), _words(_SECOND)


def _all_names() -> list[str]:
    return [p.text + s.text for p in FIRST for s in SECOND]


def _validate_vocabulary() -> None:
    """Fail loudly when an edit to the word lists would break uniqueness or leak term names into filler."""
    for words in (FIRST, SECOND):
        assert len({w.text for w in words}) == len(words), "duplicate word"
        assert len({w.romaji for w in words}) == len(words), "duplicate romaji"
        assert all(re.fullmatch(r"[a-z]+", w.romaji) for w in words)
        assert all(re.fullmatch(r"[ぁ-ゖー]+", w.reading) for w in words)
    assert not {w.text for w in FIRST} & {w.text for w in SECOND}
    assert len(FIRST) * len(SECOND) >= max(s.terms for s in SIZES.values())
    names = _all_names()
    assert len(set(names)) == len(names)
    texts = [*FILLER, *MENTION, *REPEAT, *EXPLICIT, *LINKS, *HEADINGS, *SUBHEADINGS, *LIST_ITEMS, *QUOTES,
             *DEFINITION_MORE, *(c for row in TABLE_ROWS for c in row)]
    pattern = re.compile("|".join(map(re.escape, names)))
    leaks = [t for t in texts if pattern.search(t)]
    assert not leaks, f"filler text contains a term name: {leaks}"


_validate_vocabulary()


def make_terms(count: int) -> list[TermSpec]:
    """``count`` distinct P+S names, shuffled with the fixed seed so every size mixes all words."""
    pairs = [(p, s) for p in FIRST for s in SECOND]
    random.Random(f"{SEED}:terms").shuffle(pairs)
    return [TermSpec(p.text + s.text, p.reading + s.reading, f"{p.romaji}-{s.romaji}", p.text, s.text)
            for p, s in pairs[:count]]


@dataclass(frozen=True)
class ArticlePlan:
    index: int
    natural: tuple[int, ...]  # term indices mentioned in running text (auto-linked)
    explicit: tuple[int, ...]  # term indices linked with [[...]]
    links: tuple[int, ...]  # article indices linked with a relative .md link
    title: str


def article_file(index: int) -> str:
    return f"a{index + 1:05d}.md"


def plan_articles(size: Size, terms: list[TermSpec]) -> list[ArticlePlan]:
    plans = []
    n_terms = size.terms
    for i in range(size.articles):
        rng = random.Random(f"{SEED}:plan:{size.articles}:{i}")
        # Three consecutive terms per article cover the whole glossary when articles * 3 >= terms.
        natural = [(i * 3 + k) % n_terms for k in range(3)]
        while len(natural) < 10:
            j = rng.randrange(n_terms)
            if j not in natural:
                natural.append(j)
        rng.shuffle(natural)
        explicit: list[int] = []
        n_explicit, n_links = rng.randint(2, 3), rng.randint(2, 5)
        while len(explicit) < n_explicit:
            j = rng.randrange(n_terms)
            if j not in natural and j not in explicit:
                explicit.append(j)
        links: list[int] = []
        while len(links) < n_links:
            j = rng.randrange(size.articles)
            if j != i and j not in links:
                links.append(j)
        title = f"{terms[natural[0]].name}と{terms[natural[1]].name}の{rng.choice(TOPICS)}"
        plans.append(ArticlePlan(i, tuple(natural), tuple(explicit), tuple(links), title))
    return plans


class _Body:
    """Builds one article body; queues make sure every planned mention and link is written once."""

    def __init__(self, plan: ArticlePlan, plans: list[ArticlePlan], terms: list[TermSpec], rng: random.Random):
        self.rng, self.terms, self.plans = rng, terms, plans
        self.natural = [terms[j].name for j in plan.natural]
        self.explicit = [terms[j].name for j in plan.explicit]
        self.links = list(plan.links)
        self.mentioned: list[str] = []
        self.parts: list[str] = []

    def length(self) -> int:
        return sum(len(p) for p in self.parts)

    def _term(self) -> str:
        name = self.natural.pop(0)
        self.mentioned.append(name)
        return name

    def sentence(self) -> str:
        r = self.rng.random()
        if self.natural and r < 0.45:
            template = self.rng.choice(MENTION)
            if "{u}" in template and len(self.natural) < 2:
                template = MENTION[0]
            t = self._term()
            return template.format(t=t, u=self._term() if "{u}" in template else "")
        if self.explicit and r < 0.55:
            return self.rng.choice(EXPLICIT).format(t=self.explicit.pop(0))
        if self.links and r < 0.65:
            return self._link_sentence(self.links.pop(0))
        if self.mentioned and r < 0.72:
            return self.rng.choice(REPEAT).format(t=self.rng.choice(self.mentioned))
        text = self.rng.choice(FILLER)
        if r > 0.9:  # bold a key sentence now and then, as editors do
            text = f"**{text[:-1]}**。"
        return text

    def _link_sentence(self, target: int) -> str:
        file = article_file(target)
        return self.rng.choice(LINKS).format(title=self.plans[target].title, file=file)

    def paragraph(self, sentences: int) -> None:
        self.parts.append("".join(self.sentence() for _ in range(sentences)) + "\n\n")

    def block(self, kind: str) -> None:
        rng = self.rng
        if kind == "list":
            items = rng.sample(LIST_ITEMS, rng.randint(3, 5))
            if self.natural:
                items[0] = f"{self._term()}の{items[0]}"
            self.parts.append("".join(f"- {it}\n" for it in items) + "\n")
        elif kind == "olist":
            items = rng.sample(LIST_ITEMS, rng.randint(3, 4))
            self.parts.append("".join(f"{n}. {it}\n" for n, it in enumerate(items, 1)) + "\n")
        elif kind == "table":
            rows = rng.sample(TABLE_ROWS, rng.randint(3, 5))
            lines = ["| 段階 | やること | 目安 |", "|---|---|---|"]
            for k, (a, b, c) in enumerate(rows):
                what = f"{self._term()}を確かめる" if k == 0 and self.natural else b
                lines.append(f"| {a} | {what} | {c} |")
            self.parts.append("\n".join(lines) + "\n\n")
        elif kind == "quote":
            self.parts.append(f"> {rng.choice(QUOTES)}\n\n")

    def finish(self) -> None:
        """A closing section that flushes whatever the body did not get to."""
        self.parts.append("## まとめ\n\n")
        if self.natural:
            names = [self._term() for _ in range(len(self.natural))]
            self.parts.append(f"この記事では、{'、'.join(names)}について見てきました。")
        for name in self.explicit:
            self.parts.append(self.rng.choice(EXPLICIT).format(t=name))
        for target in self.links:
            self.parts.append(self._link_sentence(target))
        self.explicit, self.links = [], []
        self.parts.append(self.rng.choice(FILLER) + "\n")


def render_article(plan: ArticlePlan, plans: list[ArticlePlan], terms: list[TermSpec], size: Size) -> str:
    rng = random.Random(f"{SEED}:article:{size.articles}:{plan.index}")
    body = _Body(plan, plans, terms, rng)
    target = rng.randint(1500, 2600)  # characters; the closing section adds 100-400 more
    blocks = ["list", "olist", "table", "quote"]
    rng.shuffle(blocks)
    body.paragraph(rng.randint(2, 3))
    headings = rng.sample(HEADINGS, len(HEADINGS))
    section = 0
    while (body.length() < target or section < 4) and section < len(headings):
        body.parts.append(f"## {headings[section]}\n\n")
        body.paragraph(rng.randint(2, 4))
        if section < len(blocks):
            body.block(blocks[section])
        if rng.random() < 0.35:
            body.parts.append(f"### {rng.choice(SUBHEADINGS)}\n\n")
        body.paragraph(rng.randint(2, 4))
        section += 1
    body.finish()
    start = dt.date(2024, 1, 1) + dt.timedelta(days=(plan.index * 7) % 1000)
    tags = rng.sample(TAGS, rng.randint(1, 3))
    first = terms[plan.natural[0]].name
    front = [
        "---",
        f"title: {plan.title}",
        f"description: {first}を中心に、バックオフィスの仕事で知っておきたいことを新人向けにまとめた記事です。",
        f"order: {plan.index + 1}",
        f"date: {start.isoformat()}",
        f"tags: [{', '.join(tags)}]",
        "---",
        "",
    ]
    return "\n".join(front) + "".join(body.parts)


def _yaml_str(text: str) -> str:
    """Double-quoted YAML scalar: safe for any text we generate (colons, brackets, #)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_term(j: int, terms: list[TermSpec]) -> str:
    t = terms[j]
    rng = random.Random(f"{SEED}:term:{len(terms)}:{j}")
    n = len(terms)
    # (j + 1) keeps every term referenced by at least one other term's see_also.
    see = [(j + 1) % n]
    n_see = rng.randint(1, 3)
    while len(see) < n_see and n > 3:
        k = rng.randrange(n)
        if k != j and k not in see:
            see.append(k)
    see_names = [terms[k].name for k in see if k != j]
    sentences = [f"{t.name}は、{t.first}に関する{t.second}を指す言葉です。",
                 f"{terms[see[0]].name}とあわせて確認されることが多く、実務では両方をセットで覚えます。"]
    more = list(DEFINITION_MORE)
    rng.shuffle(more)
    goal = rng.randint(100, 280)
    while sum(map(len, sentences)) < goal and more and sum(map(len, sentences)) + len(more[-1]) <= 300:
        sentences.append(more.pop())
    definition = "".join(sentences)
    assert 100 <= len(definition) <= 300, (t.name, len(definition))
    as_of = dt.date(2024, 4, 1) + dt.timedelta(days=rng.randrange(600))
    org = rng.choice(SOURCE_ORGS)
    return "\n".join([
        f"  - term: {t.name}",
        f"    reading: {t.reading}",
        f"    slug: {t.slug}",
        f"    summary: {t.first}に関する{t.second}のことです。",
        "    definition: |",
        f"      {definition}",
        f"    see_also: [{', '.join(see_names)}]",
        "    sources:",
        f"      - title: {_yaml_str(f'{org}「{t.first}の{t.second}について」')}",
        f"        url: https://example.org/sources/{t.slug}",
        f"        as_of: {as_of.isoformat()}",
        "",
    ])


SITE_YAML = """\
title: バックオフィス入門（ベンチマーク用）
description: ベンチマーク用に自動生成した記事と用語集です。
base_url: https://example.org/
language: ja
author: bench
nav:
  - title: 記事
    url: /
  - title: 用語集
    url: /glossary/
"""


def write_corpus(size_name: str, out: Path) -> None:
    size = SIZES[size_name]
    terms = make_terms(size.terms)
    plans = plan_articles(size, terms)
    for sub in ("content", "templates", "static"):
        shutil.rmtree(out / sub, ignore_errors=True)
    articles_dir = out / "content" / "articles"
    glossary_dir = out / "content" / "glossary"
    articles_dir.mkdir(parents=True)
    glossary_dir.mkdir(parents=True)
    (out / "content" / "site.yaml").write_text(SITE_YAML, encoding="utf-8", newline="\n")
    for plan in plans:
        text = render_article(plan, plans, terms, size)
        (articles_dir / article_file(plan.index)).write_text(text, encoding="utf-8", newline="\n")
    for g, (stem, name, description) in enumerate(GROUPS):
        members = range(g, size.terms, len(GROUPS))
        head = f"group: {name}\ndescription: {description}\nterms:\n"
        text = head + "\n".join(render_term(j, terms) for j in members)
        (glossary_dir / f"{stem}.yaml").write_text(text, encoding="utf-8", newline="\n")
    # The real templates and assets: the benchmark should measure what the project ships.
    shutil.copytree(REPO / "templates", out / "templates")
    shutil.copytree(REPO / "static", out / "static")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args(argv)
    write_corpus(args.size, args.outdir)
    size = SIZES[args.size]
    print(f"wrote {size.articles} articles and {size.terms} terms to {args.outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
