/* On every page: one date formatter, the sync status in the app bar, the account menu,
 * the service worker and its updates, sending the outbox (on load, when the network
 * returns, on a backoff timer, by Background Sync), persistent storage and "Save to
 * file"; on "My visits" each visit in its group and every visit's form kept offline.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const outbox = self.auditOutbox;
  let timer = null;
  let reloading = false;

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* ---- dates: Intl.DateTimeFormat, the phone's language, the store's time zone ---- */

  const language = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  const formats = {};
  function format(options, zone) {
    const key = JSON.stringify(options) + (zone || "");
    if (!formats[key]) {
      try {
        formats[key] = new Intl.DateTimeFormat(language, Object.assign({ timeZone: zone || undefined }, options));
      } catch (_) { // an unknown zone: the phone's own
        formats[key] = new Intl.DateTimeFormat(language, options);
      }
    }
    return formats[key];
  }
  const DAY = { weekday: "short", day: "numeric", month: "short" };
  const dates = {
    /* "2026-12-10" (a calendar day) -> "Thu 10 Dec" */
    day: function (iso) {
      const p = String(iso).slice(0, 10).split("-").map(Number);
      return format(DAY, "UTC").format(Date.UTC(p[0], p[1] - 1, p[2]));
    },
    /* a moment -> its day where the store is */
    dayOf: function (moment, zone) { return format(DAY, zone).format(new Date(moment)); },
    /* a moment -> "10 Dec 2026, 13:33" where the store is */
    moment: function (moment, zone) {
      return format({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }, zone).format(new Date(moment));
    },
    time: function (moment, zone) { return format({ hour: "2-digit", minute: "2-digit" }, zone).format(new Date(moment)); },
    /* today's date where the store is, as "2026-12-10" */
    today: function (zone) {
      const parts = {};
      format({ year: "numeric", month: "2-digit", day: "2-digit", numberingSystem: "latn" }, zone)
        .formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    },
    /* every <time data-fmt> of the page, in the phone's language */
    render: function (root) {
      all("time[data-fmt]", root).forEach(function (el) {
        const value = el.getAttribute("datetime");
        const zone = el.dataset.zone;
        if (el.dataset.fmt === "day") el.textContent = value.length > 10 ? dates.dayOf(value, zone) : dates.day(value);
        else if (el.dataset.fmt === "time") el.textContent = dates.time(value, zone);
        else el.textContent = dates.moment(value, zone);
      });
    },
  };
  self.auditDates = dates;

  /* ---- the sync status: the one place that says what happens to the audits ---- */

  const sync = { count: 0, needs: 0, sending: null, unreachable: false, lastSent: 0 };

  function drawSync() {
    const chip = document.querySelector("[data-sync]");
    if (!chip || !sync.loaded) return; // drawn only once the outbox has been read: never a guess
    const offline = navigator.onLine === false || sync.unreachable;
    const prefix = offline ? "Offline · " : "";
    let text; let state;
    if (sync.sending && !offline) {
      text = "Sending " + sync.sending[0] + " of " + sync.sending[1] + "…"; state = "sending";
    } else if (sync.needs) {
      text = prefix + sync.needs + " needs you"; state = "needs";
    } else if (sync.count) {
      text = prefix + sync.count + " waiting"; state = offline ? "offline" : "waiting";
    } else if (offline) {
      text = "Offline"; state = "offline";
    } else {
      text = sync.lastSent ? "All sent · " + dates.time(sync.lastSent) : "All sent"; state = "ok";
    }
    chip.dataset.state = state;
    const label = chip.querySelector("[data-sync-text]");
    if (label.textContent !== text) label.textContent = text;
  }

  async function persisted() {
    if (!navigator.storage || !navigator.storage.persisted) return true;
    return navigator.storage.persisted();
  }

  async function refresh() {
    const entries = await store.outbox();
    const count = entries.length;
    sync.count = count;
    sync.loaded = true;
    sync.needs = entries.filter(function (e) { return e.state === "rejected" || e.state === "signin"; }).length;
    sync.lastSent = await store.lastSent().catch(function () { return 0; });
    if (!count) sync.unreachable = false;
    all("[data-outbox-count]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("zero", count === 0);
    });
    drawSync();
    const warn = count > 0 && !(await persisted());
    all("[data-storage-warning]").forEach(function (el) { el.hidden = !warn; });
    all("[data-save-file]").forEach(function (b) { b.disabled = count === 0; });
    return count;
  }

  function progress(message) {
    if (message && typeof message === "object" && "sending" in message) {
      sync.sending = message.sending;
      if (message.sending) { drawSync(); return; }
    }
    refresh(); // the run ended: say what the outbox holds now
  }

  function schedule(summary) {
    clearTimeout(timer);
    if (summary && summary.next_try) timer = setTimeout(function () { send(false); }, Math.max(1000, summary.next_try - Date.now()));
  }

  async function send(force) {
    try {
      const summary = await outbox.flush(force);
      sync.unreachable = summary.unreachable;
      const banner = document.getElementById("signin-banner");
      if (banner) banner.hidden = !summary.signin || location.pathname === "/login";
      schedule(summary);
      if (summary.waiting) requestSync();
    } finally {
      sync.sending = null;
      await refresh();
    }
  }

  async function requestSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("outbox");
    } catch (_) { /* Background Sync is a bonus; the timer and the online event remain */ }
  }

  /* ---- "Save to file": every waiting audit with its photos, for the office to bring in ---- */

  function base64(blob) {
    return new Promise(function (resolve, reject) {
      const reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1]); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  async function saveToFile(event) {
    const entries = await store.outbox();
    const audits = [];
    for (const entry of entries) {
      const photos = [];
      for (const id of entry.photo_ids || []) {
        const photo = await store.getPhoto(id);
        if (photo) photos.push({ id: id, type: photo.type, data: await base64(photo.blob) });
      }
      audits.push({ shopper: entry.shopper, store_name: entry.store_name, submission: entry.submission, photos: photos });
    }
    const file = { format: "audit-outbox", version: 1, saved_at: new Date().toISOString(), audits: audits };
    const blob = new Blob([JSON.stringify(file)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "audits-waiting-" + new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-") + ".json";
    document.body.append(link);
    link.click();
    link.remove();
    const said = audits.length + (audits.length === 1 ? " audit" : " audits") + " saved to " + link.download +
      ". They stay here until the server has them.";
    const status = document.querySelector("[data-outbox-status]") || (event && event.target.closest("[data-storage-warning]") || {}).firstElementChild;
    if (status) status.textContent = said;
  }

  /* ---- the service worker ---- */

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
  async function keepVisitsOffline(links) {
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

  /* ---- "My visits": each card in its group, as this phone sees it now ---- */

  function setChip(card, text, kind) {
    const chip = card.querySelector("[data-chip]");
    if (!chip) return;
    chip.textContent = text;
    chip.className = "chip " + kind;
  }

  function windowText(starts, ends, upcoming) {
    if (upcoming) return ends !== starts ? "until " + dates.day(ends) : "";
    return dates.day(starts) + (ends !== starts ? " – " + dates.day(ends) : "");
  }

  function orphanCard(entry) {
    const card = document.createElement("article");
    card.className = "visit";
    card.dataset.orphan = entry.draft_key || entry.id;
    const h3 = document.createElement("h3");
    const a = document.createElement("a");
    a.href = "/outbox";
    a.textContent = entry.store_name;
    h3.append(a);
    const p = document.createElement("p");
    p.className = "meta";
    const chip = document.createElement("span");
    chip.dataset.chip = "";
    p.append(chip);
    card.append(h3, p);
    return card;
  }

  async function arrangeVisits() {
    const root = document.querySelector("[data-today]");
    if (!root) return;
    const groups = {};
    all("[data-group]").forEach(function (g) { groups[g.dataset.group] = g; });
    const drafts = await store.allDrafts();
    const queued = await store.outbox();
    const placed = {};
    all("article[data-assignment], article[data-audit]").forEach(function (card) {
      const key = card.dataset.audit ? "audit:" + card.dataset.audit : "visit:" + card.dataset.assignment;
      placed[key] = true;
      const entry = queued.find(function (e) { return e.draft_key === key; });
      const draft = drafts.find(function (d) { return d.assignment === key; });
      const line = card.querySelector("[data-local-state]");
      const link = card.querySelector("h3 a");
      let group; let local = "";
      link.href = link.dataset.href || (link.dataset.href = link.getAttribute("href"));
      if (entry && entry.state === "rejected") {
        group = "needs";
        setChip(card, "Not accepted", "needs");
        local = "The server did not take this audit: open it in Waiting to upload to see why.";
        link.href = "/outbox";
      } else if (entry) {
        group = "waiting";
        setChip(card, entry.state === "signin" ? "Sign in to upload" : "Waiting to upload", entry.state === "signin" ? "needs" : "wait");
      } else if (card.dataset.audit) {
        group = "needs";
      } else {
        const today = dates.today(card.dataset.zone);
        const starts = card.dataset.starts; const ends = card.dataset.ends;
        const upcoming = starts > today;
        group = upcoming ? "upcoming" : "now";
        if (upcoming) setChip(card, "Opens " + dates.day(starts), "opens");
        else if (ends < today) setChip(card, "Overdue", "late");
        else setChip(card, ends === today ? "Last day today" : "Open now", "today");
        card.querySelector("[data-window]").textContent = windowText(starts, ends, upcoming);
      }
      if (!entry && draft) local = "Draft saved on this phone: " + Object.keys(draft.answers || {}).length + " answered";
      if (line) { line.textContent = local; line.hidden = !local; }
      groups[group].append(card);
    });
    all("article[data-orphan]").forEach(function (card) { card.remove(); });
    queued.filter(function (e) { return !placed[e.draft_key]; }).forEach(function (entry) {
      const card = orphanCard(entry);
      const refused = entry.state === "rejected";
      setChip(card, refused ? "Not accepted" : "Waiting to upload", refused ? "needs" : "wait");
      groups[refused ? "needs" : "waiting"].append(card);
    });
    Object.keys(groups).forEach(function (name) { groups[name].hidden = !groups[name].querySelector("article"); });
    const none = document.querySelector("[data-none]");
    if (none) none.hidden = Boolean(groups.now.querySelector("article") || groups.upcoming.querySelector("article"));
  }

  /* ---- the account menu: closes on a tap elsewhere and on Escape ---- */

  function accountMenu() {
    const menu = document.querySelector("[data-menu]");
    if (!menu) return;
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  }

  async function start() {
    dates.render();
    accountMenu();
    const links = all("a[data-offline]").map(function (a) { return a.getAttribute("href"); });
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {}).then(refresh);
    }
    window.addEventListener("online", function () { sync.unreachable = false; drawSync(); send(true); });
    window.addEventListener("offline", drawSync);
    window.addEventListener("outbox-changed", function (event) { progress(event.detail); if (!event.detail || event.detail === "changed") arrangeVisits(); });
    if (outbox.channel) outbox.channel.addEventListener("message", function (event) { progress(event.data); });
    all("[data-save-file]").forEach(function (button) { button.addEventListener("click", saveToFile); });
    registerWorker().catch(function () { /* no service worker: the app still works online */ });
    await refresh();
    await arrangeVisits();
    keepVisitsOffline(links);
    if (navigator.onLine !== false) send(true);
  }

  self.auditApp = { send: send, refresh: refresh, saveToFile: saveToFile };
  start();
})();
