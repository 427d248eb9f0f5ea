// Live reload for `backoffice-site serve`. The dev server injects this script into the HTML it serves;
// it is never part of `build` output. Events: hello (on connect), reload, css (swap stylesheets in place).
(() => {
  "use strict";
  const me = document.currentScript;
  const server = me ? me.dataset.server : undefined;
  let epoch = me ? me.dataset.epoch : undefined;
  let source = null;

  // A page served before a rebuild we did not hear about (the tab was asleep, the server restarted) is stale.
  function onHello(event) {
    const info = JSON.parse(event.data);
    if ((server && info.server !== server) || (epoch !== undefined && String(info.epoch) !== epoch)) {
      location.reload();
    }
  }

  // Load the new stylesheet beside the old one and drop the old one once it applied: no flash of unstyled page.
  function swapStylesheets(event) {
    epoch = String(JSON.parse(event.data).epoch);
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("bos", epoch + "-" + Date.now().toString(36));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      const done = () => link.remove();
      fresh.addEventListener("load", done, { once: true });
      fresh.addEventListener("error", done, { once: true });
      link.after(fresh);
    }
  }

  function connect() {
    source = new EventSource("/__bos/events");
    source.addEventListener("hello", onHello);
    source.addEventListener("reload", () => location.reload());
    source.addEventListener("css", swapStylesheets);
    // EventSource retries by itself after network errors; when it gives up (CLOSED), start over.
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 1000);
      }
    });
  }

  connect();
})();
