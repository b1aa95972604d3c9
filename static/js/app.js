/* On every page: the service worker and its updates, the outbox badge, sending the
 * outbox (on load, when the network returns, on a backoff timer, by Background
 * Sync), persistent storage, and on "My visits" caching every visit's form.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const outbox = self.auditOutbox;
  let timer = null;
  let reloading = false;

  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  async function persisted() {
    if (!navigator.storage || !navigator.storage.persisted) return true;
    return navigator.storage.persisted();
  }

  async function refresh() {
    const count = await store.count();
    all("[data-outbox-count]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("zero", count === 0);
      badge.setAttribute("aria-label", count === 1 ? "1 audit waiting" : count + " audits waiting");
    });
    const warn = count > 0 && !(await persisted());
    all("[data-storage-warning]").forEach(function (el) { el.hidden = !warn; });
    return count;
  }

  function schedule(summary) {
    clearTimeout(timer);
    if (summary && summary.next_try) timer = setTimeout(function () { send(false); }, Math.max(1000, summary.next_try - Date.now()));
  }

  async function send(force) {
    try {
      const summary = await outbox.flush(force);
      const banner = document.getElementById("signin-banner");
      if (banner) banner.hidden = !summary.signin || location.pathname === "/login";
      schedule(summary);
      if (summary.waiting) requestSync();
    } finally {
      await refresh();
    }
  }

  async function requestSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("outbox");
    } catch (_) { /* Background Sync is a bonus; the timer and the online event remain */ }
  }

  function offerUpdate(registration) {
    const banner = document.getElementById("update-banner");
    if (!banner || !registration.waiting) return;
    banner.hidden = false;
    banner.querySelector("[data-update-now]").onclick = function () {
      reloading = true;
      registration.waiting.postMessage("skip-waiting");
    };
  }

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    // A new version waits until the shopper accepts it: never reload under their fingers.
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration);
    registration.addEventListener("updatefound", function () {
      const worker = registration.installing;
      if (!worker) return;
      worker.addEventListener("statechange", function () {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(registration);
      });
    });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloading) location.reload();
    });
  }

  /* "My visits": keep every planned visit's form (and its checklist) for use with no
   * signal. The service worker fetches and stores them: it owns the caches. */
  async function keepVisitsOffline() {
    const links = all("a[data-offline]").map(function (a) { return a.getAttribute("href"); });
    const extra = all("[data-offline-also]").flatMap(function (el) { return el.dataset.offlineAlso.split(" ").filter(Boolean); });
    if (!links.length || !("serviceWorker" in navigator)) return;
    const registration = await navigator.serviceWorker.ready;
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || !event.data.kept) return;
      const ready = links.filter(function (url) { return event.data.kept.indexOf(url) >= 0; }).length;
      const line = document.querySelector("[data-offline-ready]");
      if (line) {
        line.textContent = ready === links.length
          ? "Ready without signal: every visit above opens on this phone even offline."
          : ready + " of " + links.length + " visits can open without signal; open this page again with a connection.";
        line.hidden = false;
      }
      document.body.dataset.offlineReady = String(ready === links.length);
    });
    registration.active.postMessage({ keep: links.concat(extra, ["/"]) });
  }

  /* "My visits": say which visits (and sent-back audits) have a draft or wait to upload here. */
  async function showLocalState() {
    const articles = all("[data-assignment], [data-audit]");
    if (!articles.length) return;
    const drafts = await store.allDrafts();
    const queued = await store.outbox();
    articles.forEach(function (article) {
      const key = article.dataset.audit ? "audit:" + article.dataset.audit : "visit:" + article.dataset.assignment;
      const line = article.querySelector("[data-local-state]");
      if (!line) return;
      const entry = queued.find(function (e) { return e.draft_key === key; });
      const draft = drafts.find(function (d) { return d.assignment === key; });
      if (entry) line.textContent = entry.state === "rejected" ? "Refused by the server: see Waiting to upload" : "Submitted, waiting to upload";
      else if (draft) line.textContent = "Draft saved on this phone: " + Object.keys(draft.answers || {}).length + " answered";
      line.hidden = !(entry || draft);
    });
  }

  async function start() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {}).then(refresh);
    }
    window.addEventListener("online", function () { send(true); });
    window.addEventListener("outbox-changed", refresh);
    if (outbox.channel) outbox.channel.addEventListener("message", refresh);
    registerWorker().catch(function () { /* no service worker: the app still works online */ });
    await refresh();
    await showLocalState();
    keepVisitsOffline();
    if (navigator.onLine !== false) send(true);
  }

  self.auditApp = { send: send, refresh: refresh };
  start();
})();
