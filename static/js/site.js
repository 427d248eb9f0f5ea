/* backoffice-site: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* Normalize for matching: NFKC (ＯＪＴ → OJT, ﾕｳｷｭｳ → ユウキュウ), lower case, katakana → hiragana. */
  function norm(s) {
    return (s || "").normalize("NFKC").toLowerCase()
      .replace(/[\u30a1-\u30f6]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); })
      .replace(/\s+/g, " ").trim();
  }
  window.bosNormalize = norm;

  /* Term cards: a toggletip for each auto-linked term (WCAG 2.2 SC 1.4.13: dismissible with Esc,
     hoverable, persistent while hovered or focused). Without JS the link simply goes to the term page. */
  var summaries = {};
  document.querySelectorAll("[data-term-card]").forEach(function (a) {
    var item = a.closest(".used-terms__item");
    var dd = item && item.querySelector("dd");
    summaries[a.getAttribute("data-term-card")] = { name: a.querySelector("ruby") ? a.querySelector("ruby").firstChild.textContent : a.textContent, text: dd ? dd.textContent : "", href: a.getAttribute("href") };
  });
  var card = null, owner = null, hideTimer = null;
  function hide() {
    if (card) { card.remove(); card = null; }
    if (owner) { owner.removeAttribute("aria-describedby"); owner = null; }
  }
  function scheduleHide() { clearTimeout(hideTimer); hideTimer = setTimeout(hide, 300); }
  function show(a) {
    var info = summaries[a.getAttribute("data-term")];
    if (!info || !info.text) return;
    clearTimeout(hideTimer);
    if (owner === a) return;
    hide();
    card = document.createElement("div");
    card.className = "term-card";
    card.id = "term-card-popup";
    card.setAttribute("role", "tooltip");
    var name = document.createElement("p"); name.className = "term-card__name"; name.textContent = info.name;
    var text = document.createElement("p"); text.textContent = info.text;
    var more = document.createElement("a"); more.href = info.href; more.textContent = "用語集でくわしく見る";
    card.append(name, text, more);
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(card);
    var r = a.getBoundingClientRect();
    var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8));
    card.style.left = left + "px";
    card.style.top = (window.scrollY + r.bottom + 6) + "px";
    owner = a;
    a.setAttribute("aria-describedby", card.id);
  }
  document.querySelectorAll(".prose a.term[data-term]").forEach(function (a) {
    a.addEventListener("mouseenter", function () { show(a); });
    a.addEventListener("mouseleave", scheduleHide);
    a.addEventListener("focus", function () { show(a); });
    a.addEventListener("blur", function () { setTimeout(function () { if (card && !card.contains(document.activeElement)) hide(); }, 0); });
    a.addEventListener("click", function (e) {
      /* A first tap on a touch screen opens the card; the second follows the link. */
      if (e.pointerType === "touch" || (e.pointerType === undefined && window.matchMedia("(hover: none)").matches)) {
        if (owner !== a) { e.preventDefault(); show(a); }
      }
    });
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && card) { var o = owner; hide(); if (o) o.focus(); } });
  document.addEventListener("pointerdown", function (e) {
    if (card && !card.contains(e.target) && e.target !== owner && !(owner && owner.contains(e.target))) hide();
  });

  /* Glossary quick filter: narrows on every keystroke over term, reading, aliases and English. */
  var box = document.querySelector(".glossary-filter");
  if (box) {
    box.hidden = false;
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var entries = Array.prototype.map.call(document.querySelectorAll("[data-term-entry]"), function (el) {
      return { el: el, key: norm(el.getAttribute("data-search")) };
    });
    var rows = document.querySelectorAll(".kana-row");
    input.addEventListener("input", function () {
      var q = norm(input.value);
      var shown = 0;
      entries.forEach(function (e) {
        var ok = !q || e.key.indexOf(q) !== -1;
        e.el.hidden = !ok;
        if (ok) shown++;
      });
      rows.forEach(function (r) { r.hidden = !r.querySelector("[data-term-entry]:not([hidden])"); });
      status.textContent = q ? shown + " 語が見つかりました" : "";
    });
  }
})();
