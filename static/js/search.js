/* backoffice-site: the /search/ page. Loads the Pagefind index only here, only when a query is searched,
   and only after the first paint.
   The query is normalized (NFKC) and tried as typed, in hiragana and in katakana; the results are merged.
   Terms whose name, reading, alias or English gloss match come first, even before the index has loaded. */
(function () {
  "use strict";
  var app = document.getElementById("search-app");
  var input = document.getElementById("search-q");
  if (!app || !input) return;
  var text = window.bosText;
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var form = input.form;
  var base = app.getAttribute("data-base") || "/";
  /* The index comes in parts (terms, articles …): the first is loaded, the others merged into it. */
  var bundles = (app.getAttribute("data-bundles") || "/pagefind/").split(" ");
  var glossary = app.getAttribute("data-glossary") || "/glossary/";
  var terms = [];
  try { terms = JSON.parse(document.getElementById("search-terms").textContent); } catch (e) { terms = []; }
  terms.forEach(function (t) {
    t.keys = [t.name, t.reading].concat(t.aliases || [], t.en ? [t.en] : []).map(text.norm);
  });

  /* Pagefind (about 45 KB of script, 70 KB of WebAssembly and the index) is fetched once the page has been
     painted: the heading, the form and the matching terms show first, and the bundle stays off the critical
     path even when the page opens with ?q=. Without paint timing (or in a background tab, which is never
     painted) it is fetched at once, or after three seconds at the latest. */
  var painted = new Promise(function (resolve) {
    var types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
    if (types.indexOf("paint") < 0 || document.visibilityState !== "visible" ||
        performance.getEntriesByName("first-contentful-paint").length) {
      resolve();
      return;
    }
    var observer = new PerformanceObserver(function (list) {
      if (list.getEntriesByName("first-contentful-paint").length) { observer.disconnect(); resolve(); }
    });
    observer.observe({ type: "paint", buffered: true });
    setTimeout(resolve, 3000);
  });

  var pagefind = null;
  function loadPagefind() {
    if (!pagefind) {
      pagefind = painted.then(function () { return import(bundles[0] + "pagefind.js"); }).then(function (pf) {
        return Promise.resolve(pf.options({ baseUrl: base, excerptLength: 24 })).then(function () {
          return Promise.all(bundles.slice(1).map(function (b) { return pf.mergeIndex(b, { baseUrl: base }); }));
        }).then(function () { return pf; });
      });
      pagefind.catch(function () { pagefind = null; });
    }
    return pagefind;
  }

  /* 3: the whole name, reading or alias; 2: its beginning; 1: somewhere inside. */
  function termScore(t, qs) {
    var best = 0;
    qs.forEach(function (q) {
      t.keys.forEach(function (k) {
        if (!k) return;
        var s = k === q ? 3 : k.indexOf(q) === 0 ? 2 : k.indexOf(q) > 0 ? 1 : 0;
        if (s > best) best = s;
      });
    });
    return best;
  }
  function matchTerms(qs) {
    return terms.map(function (t) { return { t: t, s: termScore(t, qs) }; })
      .filter(function (x) { return x.s > 0; })
      .sort(function (a, b) { return b.s - a.s; })
      .slice(0, 8)
      .map(function (x) {
        return { url: base + x.t.url, title: x.t.name, reading: x.t.reading, kind: "用語", text: x.t.summary };
      });
  }

  /* Pagefind excerpts are text with <mark>; keep exactly that and nothing else. */
  function excerptNodes(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var out = document.createDocumentFragment();
    tpl.content.childNodes.forEach(function (n) {
      if (n.nodeName === "MARK") {
        var m = document.createElement("mark");
        m.textContent = n.textContent;
        out.append(m);
      } else {
        out.append(document.createTextNode(n.textContent));
      }
    });
    return out;
  }

  function render(q, items) {
    list.textContent = "";
    items.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "search-result";
      var kind = document.createElement("span");
      kind.className = "search-result__kind";
      kind.textContent = r.kind;
      var a = document.createElement("a");
      a.className = "search-result__title";
      a.href = r.url;
      a.textContent = r.title;
      var head = document.createElement("p");
      head.append(kind, a);
      if (r.reading) head.append("（" + r.reading + "）");
      li.append(head);
      if (r.excerpt || r.text) {
        var p = document.createElement("p");
        if (r.excerpt) p.append(excerptNodes(r.excerpt)); else p.textContent = r.text;
        li.append(p);
      }
      list.append(li);
    });
  }

  var seq = 0;
  function search(raw) {
    var my = ++seq;
    var qs = text.variants(raw);
    if (!qs.length) {
      list.textContent = "";
      status.textContent = "";
      return Promise.resolve();
    }
    var shown = text.nfkc(raw);
    var termHits = matchTerms(qs.map(text.norm));
    render(shown, termHits);
    status.textContent = "「" + shown + "」を検索しています…";
    return loadPagefind().then(function (pf) {
      return Promise.all(qs.map(function (v) { return pf.search(v); }));
    }).then(function (all) {
      var byId = {};
      all.forEach(function (res) {
        (res && res.results || []).forEach(function (r) {
          if (!byId[r.id] || byId[r.id].score < r.score) byId[r.id] = r;
        });
      });
      var merged = Object.keys(byId).map(function (k) { return byId[k]; })
        .sort(function (a, b) { return b.score - a.score; }).slice(0, 20);
      return Promise.all(merged.map(function (r) { return r.data(); }));
    }).then(function (data) {
      if (my !== seq) return;
      var seen = {};
      termHits.forEach(function (h) { seen[h.url] = true; });
      var full = data.filter(function (d) { return !seen[d.url]; }).map(function (d) {
        return { url: d.url, title: (d.meta && d.meta.title) || d.url, kind: (d.meta && d.meta.kind) || "ページ",
                 excerpt: d.excerpt };
      });
      var items = termHits.concat(full);
      render(shown, items);
      status.textContent = items.length
        ? "「" + shown + "」の検索結果は " + items.length + " 件です。"
        : "「" + shown + "」に当てはまるページは見つかりませんでした。別の言い方やよみがなでも試してください。";
    }).catch(function () {
      if (my !== seq) return;
      status.textContent = (termHits.length ? "用語集から " + termHits.length + " 件見つかりました。" : "") +
        "本文の検索を読み込めませんでした。用語集の一覧からも探せます。";
      var li = document.createElement("li");
      li.className = "search-result";
      var a = document.createElement("a");
      a.href = glossary;
      a.textContent = "用語集を開く";
      li.append(a);
      list.append(li);
    });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 250);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    var q = input.value.trim();
    var url = new URL(window.location.href);
    if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    search(q);
  });
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  if (initial) {
    input.value = initial;
    search(initial);
  }
})();
