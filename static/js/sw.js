/* The service worker: the app shell precached per release, pages network-first with
 * the last copy as fallback, an offline page for the rest, and Background Sync for
 * the outbox. The server writes this release's version and shell list in.
 */
"use strict";

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_CACHE = "audit-shell-" + VERSION;
const PAGES = "audit-pages";
const KEPT_PAGES = [/^\/$/, /^\/visits\/\d+$/, /^\/outbox$/, /^\/offline$/, /^\/api\/checklists\/[^/]+$/];

importScripts(
  SHELL.find(function (url) { return url.startsWith("/static/js/store.js"); }),
  SHELL.find(function (url) { return url.startsWith("/static/js/outbox.js"); })
);

self.addEventListener("install", function (event) {
  // No skipWaiting here: the new version takes over only when the shopper accepts it.
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(SHELL); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.startsWith("audit-shell-") && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

async function keep(urls, client) {
  const cache = await caches.open(PAGES);
  const kept = await Promise.all(urls.map(async function (url) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok || response.redirected) return false;
      await cache.put(url, response);
      return true;
    } catch (_) {
      return Boolean(await cache.match(url)); // offline now: the copy from last time stays
    }
  }));
  if (client) client.postMessage({ kept: urls.filter(function (_, i) { return kept[i]; }) });
}

self.addEventListener("message", function (event) {
  if (event.data === "skip-waiting") self.skipWaiting();
  else if (event.data && Array.isArray(event.data.keep)) event.waitUntil(keep(event.data.keep, event.source));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") event.waitUntil(self.auditOutbox.flush(true));
});

async function fromStatic(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch (error) {
    // A page kept from an older release may ask for an older file: the current one will do.
    const similar = await caches.match(request, { ignoreSearch: true });
    if (similar) return similar;
    throw error;
  }
}

async function networkFirst(request, kept) {
  try {
    const response = await fetch(request);
    if (kept && response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(request.url.split("#")[0], copy); });
    }
    return response;
  } catch (error) {
    const cached = (await caches.match(request, { ignoreSearch: true })) || (await caches.match(new URL(request.url).pathname));
    if (cached) return cached;
    if (request.mode === "navigate") return (await caches.match("/offline")) || Response.error();
    throw error;
  }
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromStatic(request));
    return;
  }
  const kept = KEPT_PAGES.some(function (pattern) { return pattern.test(url.pathname); });
  if (kept || request.mode === "navigate") event.respondWith(networkFirst(request, kept));
});
