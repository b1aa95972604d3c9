/* Uploading the outbox: photos first, then the audit, each keyed by the UUID the
 * phone made, so any retry is harmless. An entry leaves the phone only when the
 * server answered 200 or 201. Shared by the pages and the service worker
 * (Background Sync), so it touches no DOM.
 */
(function (global) {
  "use strict";

  const store = global.auditStore;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("audit-outbox") : null;
  const MAX_DELAY = 5 * 60 * 1000;
  let running = null;

  /* Tells every page (and this one) that the outbox changed, or how far a run has come:
     `sending` is [n, of] while audits go up, null when the run ends. */
  function changed(sending) {
    const message = sending === undefined ? "changed" : { sending: sending };
    if (channel) channel.postMessage(message);
    if (typeof global.dispatchEvent === "function" && typeof CustomEvent === "function") {
      global.dispatchEvent(new CustomEvent("outbox-changed", { detail: message }));
    }
  }

  function delay(attempts) {
    const base = Math.min(MAX_DELAY, 2000 * Math.pow(2, Math.min(attempts, 10)));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  function Stop(kind, message, problems, unreachable) {
    this.kind = kind; // "signin" | "rejected" | "retry"
    this.message = message;
    this.problems = problems || [];
    this.unreachable = Boolean(unreachable); // no answer at all: no signal, or the server is down
  }

  async function reason(response) {
    try {
      const body = await response.json();
      return new Stop("rejected", body.error || "The server refused this audit.", body.errors || []);
    } catch (_) {
      return new Stop("rejected", "The server refused this audit (" + response.status + ").");
    }
  }

  async function check(response) {
    if (response.ok) return response;
    if (response.status === 401) throw new Stop("signin", "Please sign in again to upload.");
    if (response.status === 403 || response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new Stop("retry", "The server could not take it just now (" + response.status + ").");
    }
    throw await reason(response);
  }

  async function token() {
    let response;
    try {
      response = await fetch("/api/session", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    } catch (_) {
      throw new Stop("retry", "No connection to the server.", [], true);
    }
    await check(response);
    return (await response.json()).csrf_token;
  }

  async function send(url, options) {
    try {
      return await check(await fetch(url, options));
    } catch (error) {
      if (error instanceof Stop) throw error;
      throw new Stop("retry", "No connection to the server.", [], true);
    }
  }

  async function sendPhotos(entry, csrf) {
    for (const id of entry.photo_ids || []) {
      const photo = await store.getPhoto(id);
      if (!photo || photo.uploaded) continue;
      await send("/api/photos/" + id, {
        method: "PUT", credentials: "same-origin", body: photo.blob,
        headers: { "Content-Type": photo.type || "image/jpeg", "X-CSRF-Token": csrf, Accept: "application/json" },
      });
      photo.uploaded = true;
      await store.putPhoto(photo);
    }
  }

  async function upload(entry, csrf) {
    await sendPhotos(entry, csrf);
    await send("/api/audits", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(entry.submission),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
    });
    await store.finish(entry, true);
  }

  async function mark(entry, stop) {
    entry.error = stop.message;
    entry.problems = stop.problems;
    entry.tried_at = Date.now();
    if (stop.kind === "retry") {
      entry.state = "waiting";
      entry.attempts = (entry.attempts || 0) + 1;
      entry.next_try = Date.now() + delay(entry.attempts);
    } else {
      entry.state = stop.kind;
    }
    await store.putQueued(entry);
  }

  async function work(force) {
    const summary = { sent: 0, waiting: 0, rejected: 0, signin: false, next_try: null, unreachable: false };
    let csrf = null;
    const due = [];
    for (const entry of await store.outbox()) {
      if (entry.state === "rejected") { summary.rejected++; continue; }
      if (!force && entry.next_try && entry.next_try > Date.now() && entry.state !== "signin") {
        summary.waiting++;
        summary.next_try = Math.min(summary.next_try || Infinity, entry.next_try);
        continue;
      }
      due.push(entry);
    }
    for (let i = 0; i < due.length; i++) {
      const entry = due[i];
      changed([i + 1, due.length]);
      try {
        csrf = csrf || (await token());
        await upload(entry, csrf);
        summary.sent++;
      } catch (error) {
        const stop = error instanceof Stop ? error : new Stop("retry", String(error && error.message || error));
        await mark(entry, stop);
        if (stop.kind === "rejected") summary.rejected++;
        else summary.waiting++;
        if (stop.kind === "signin") summary.signin = true;
        if (stop.kind === "retry") summary.next_try = Math.min(summary.next_try || Infinity, entry.next_try);
        if (stop.unreachable) summary.unreachable = true;
        if (stop.kind !== "rejected") csrf = null;
      }
      changed();
    }
    if (due.length) changed(null);
    return summary;
  }

  /* Sends what is due (everything when `force`); one run at a time across pages and the worker. */
  function flush(force) {
    if (running) return running;
    const locks = global.navigator && global.navigator.locks;
    const job = locks ? locks.request("audit-outbox", function () { return work(force); }) : work(force);
    running = job.finally(function () { running = null; });
    return running;
  }

  global.auditOutbox = { flush: flush, changed: changed, channel: channel };
})(self);
