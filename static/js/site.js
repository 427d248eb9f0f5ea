/* backoffice-site: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* One normalization for the glossary filter and the search page: NFKC (ＯＪＴ → OJT, ﾕｳｷｭｳ → ユウキュウ),
     lower case, one space; katakana and hiragana converted both ways. */
  function nfkc(s) { return (s || "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim(); }
  function toHiragana(s) {
    return s.replace(/[\u30a1-\u30f6]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); });
  }
  function toKatakana(s) {
    return s.replace(/[\u3041-\u3096]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) + 0x60); });
  }
  /* The key to match with: NFKC, then katakana folded to hiragana. */
  function norm(s) { return toHiragana(nfkc(s)); }
  /* The forms of a query worth searching: as typed (NFKC), in hiragana, in katakana. */
  function variants(s) {
    var q = nfkc(s), out = [];
    [q, toHiragana(q), toKatakana(q)].forEach(function (v) { if (v && out.indexOf(v) < 0) out.push(v); });
    return out;
  }
  window.bosText = { nfkc: nfkc, norm: norm, toHiragana: toHiragana, toKatakana: toKatakana, variants: variants };

  /* Term cards: a tooltip with the summary of each auto-linked term, opened by mouse hover, keyboard
     focus or a first tap (a second tap follows the link). WCAG 2.2 SC 1.4.13: Esc dismisses it, the
     pointer can move onto it, and it stays while the link or the card is hovered or the link focused.
     Without JS the link simply goes to the term page. */
  var info = {};
  document.querySelectorAll(".used-terms [data-term-card]").forEach(function (a) {
    var item = a.closest(".used-terms dl > div");
    var dd = item && item.querySelector("dd");
    var base = a.querySelector("ruby");  // the term without its reading: the ruby's first text
    info[a.getAttribute("data-term-card")] = {
      name: base && base.firstChild ? base.firstChild.textContent : a.textContent, text: dd ? dd.textContent.trim() : ""
    };
  });
  var card = null, owner = null, hideTimer = 0, overLink = false, overCard = false, pinned = false, dismissed = null;

  /* Only while a card is open: a resize listener also runs in the page's first frame (issue 16). */
  function onResize() { if (card && owner) place(owner); }
  function hide() {
    clearTimeout(hideTimer);
    window.removeEventListener("resize", onResize);
    if (card) { card.remove(); card = null; }
    if (owner) { owner.removeAttribute("aria-describedby"); owner = null; }
    overCard = false; pinned = false;
  }
  function maybeHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () {
      if (owner && !overLink && !overCard && !pinned && document.activeElement !== owner) hide();
    }, 300);
  }
  function place(a) {
    var r = a.getBoundingClientRect();
    var vw = document.documentElement.clientWidth;
    var left = Math.max(8, Math.min(r.left, vw - card.offsetWidth - 8));
    var below = r.bottom + 6, above = r.top - card.offsetHeight - 6;
    var top = (below + card.offsetHeight > window.innerHeight && above > 0) ? above : below;
    card.style.left = (window.scrollX + left) + "px";
    card.style.top = (window.scrollY + top) + "px";
  }
  function tapHint() {
    var hint = document.createElement("p");
    hint.className = "term-card__hint";
    hint.textContent = "もう一度タップすると用語のページを開きます。";
    return hint;
  }
  function show(a, byTap) {
    var t = info[a.getAttribute("data-term")];
    if (!t || !t.text || dismissed === a) return;
    clearTimeout(hideTimer);
    if (owner === a) {
      if (byTap && !pinned) { pinned = true; card.append(tapHint()); place(a); }
      return;
    }
    hide();
    card = document.createElement("div");
    card.className = "term-card";
    card.id = "term-card-popup";
    card.setAttribute("role", "tooltip");
    var name = document.createElement("p");
    name.className = "term-card__name";
    name.textContent = t.name;
    var text = document.createElement("p");
    text.textContent = t.text;
    card.append(name, text);
    if (byTap) card.append(tapHint());
    card.addEventListener("pointerenter", function () { overCard = true; clearTimeout(hideTimer); });
    card.addEventListener("pointerleave", function () { overCard = false; maybeHide(); });
    document.body.appendChild(card);
    window.addEventListener("resize", onResize);
    place(a);
    owner = a;
    pinned = !!byTap;
    a.setAttribute("aria-describedby", card.id);
  }
  var down = null;
  document.querySelectorAll(".prose a.term[data-term]").forEach(function (a) {
    if (!info[a.getAttribute("data-term")]) return;
    a.addEventListener("pointerenter", function (e) {
      if (e.pointerType === "touch") return;
      overLink = true;
      dismissed = null;
      show(a);
    });
    a.addEventListener("pointerleave", function (e) {
      if (e.pointerType === "touch") return;
      overLink = false;
      if (dismissed === a) dismissed = null;
      maybeHide();
    });
    a.addEventListener("focus", function () { show(a); });
    a.addEventListener("blur", function () { if (dismissed === a) dismissed = null; maybeHide(); });
    a.addEventListener("pointerdown", function (e) {
      down = { a: a, touch: e.pointerType === "touch", open: owner === a && pinned };
    });
    a.addEventListener("click", function (e) {
      /* A first tap opens the card; a second tap on the same link follows it. */
      var d = down;
      down = null;
      if (d && d.a === a && d.touch && !d.open) {
        e.preventDefault();
        dismissed = null;
        show(a, true);
      }
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && card) {
      dismissed = owner;
      hide();
    }
  });
  document.addEventListener("pointerdown", function (e) {
    if (card && !card.contains(e.target) && !(owner && owner.contains(e.target))) hide();
  });

  /* Glossary quick filter: narrows on every keystroke over term, reading, aliases and English. */
  var box = document.querySelector(".glossary-filter");
  if (box) {
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var empty = document.querySelector(".glossary-empty");
    var emptyLink = empty && empty.querySelector("a");
    var searchUrl = emptyLink ? emptyLink.getAttribute("href") : "";
    var entries = Array.prototype.map.call(document.querySelectorAll("[data-term-entry]"), function (el) {
      return { el: el, key: norm(el.getAttribute("data-search")) };
    });
    var rows = document.querySelectorAll(".kana-row");
    /* On the full glossary, group links filter in place (the per-group pages are the no-JS fallback). */
    var group = "";
    var groupNav = document.querySelector("[data-group-filter]");
    if (groupNav) {
      entries.forEach(function (e) { e.group = e.el.getAttribute("data-group"); });
      groupNav.addEventListener("click", function (ev) {
        var a = ev.target.closest("a[data-group]");
        if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || ev.button !== 0) return;
        ev.preventDefault();
        group = a.getAttribute("data-group");
        groupNav.querySelectorAll("a[data-group]").forEach(function (x) {
          if (x === a) x.setAttribute("aria-current", "page"); else x.removeAttribute("aria-current");
        });
        apply();
        status.textContent = (group ? a.textContent + "の用語を表示しています。" : "すべての用語を表示しています。") + status.textContent;
      });
    }
    var apply = function () {
      var qs = variants(input.value).map(norm).filter(function (v, i, all) { return all.indexOf(v) === i; });
      var shown = 0;
      entries.forEach(function (e) {
        var ok = (!group || e.group === group) && (!qs.length || qs.some(function (q) { return e.key.indexOf(q) !== -1; }));
        e.el.hidden = !ok;
        if (ok) shown++;
      });
      rows.forEach(function (r) { r.hidden = !r.querySelector("[data-term-entry]:not([hidden])"); });
      if (empty) {
        empty.hidden = shown > 0;
        if (emptyLink) emptyLink.href = searchUrl + "?q=" + encodeURIComponent(input.value.trim());
      }
      status.textContent = (qs.length || group) ? (shown ? shown + " 語が見つかりました。" : "当てはまる用語はありません。") : "";
    };
    input.addEventListener("input", apply);
    if (input.value) apply();
  }
})();
