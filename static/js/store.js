/* What must survive on the phone: drafts, the outbox and photos, in IndexedDB.
 *
 * A classic script (not a module) so the service worker can load it too. Every
 * write asks for durability "strict": the browser reports success only once the
 * data is on disk, so a phone that dies right after "Saved" still has the answer.
 * Browsers (iOS Safari under memory pressure) may close the connection at any
 * time; the next call then opens a new one instead of failing.
 */
(function (global) {
  "use strict";

  const NAME = "audit";
  const VERSION = 1;
  let opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        const db = request.result;
        if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "assignment" });
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id" });
        if (!db.objectStoreNames.contains("photos")) {
          db.createObjectStore("photos", { keyPath: "id" }).createIndex("audit", "audit");
        }
      };
      request.onsuccess = function () {
        const db = request.result;
        db.onclose = function () { opening = null; };
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
    });
    return opening;
  }

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function once(stores, mode, body) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        const tx = db.transaction(stores, mode, { durability: mode === "readwrite" ? "strict" : "default" });
        let value;
        tx.oncomplete = function () { resolve(value); };
        tx.onabort = tx.onerror = function () { reject(tx.error || new Error("storage transaction aborted")); };
        Promise.resolve(body(tx)).then(
          function (v) { value = v; },
          function (e) { try { tx.abort(); } catch (_) { /* already finished */ } reject(e); }
        );
      });
    });
  }

  /* One transaction, opened again once if the browser closed the connection under us. */
  function run(stores, mode, body) {
    return once(stores, mode, body).catch(function (error) {
      const closed = error && (error.name === "InvalidStateError" || error.name === "TransactionInactiveError");
      if (!closed) throw error;
      opening = null;
      return once(stores, mode, body);
    });
  }

  const store = {
    getDraft: function (assignment) {
      return run(["drafts"], "readonly", function (tx) { return done(tx.objectStore("drafts").get(assignment)); });
    },
    putDraft: function (draft) {
      draft.updated = Date.now();
      return run(["drafts"], "readwrite", function (tx) { return done(tx.objectStore("drafts").put(draft)); });
    },
    allDrafts: function () {
      return run(["drafts"], "readonly", function (tx) { return done(tx.objectStore("drafts").getAll()); });
    },
    putPhoto: function (photo) {
      return run(["photos"], "readwrite", function (tx) { return done(tx.objectStore("photos").put(photo)); });
    },
    getPhoto: function (id) {
      return run(["photos"], "readonly", function (tx) { return done(tx.objectStore("photos").get(id)); });
    },
    deletePhoto: function (id) {
      return run(["photos"], "readwrite", function (tx) { return done(tx.objectStore("photos").delete(id)); });
    },
    outbox: function () {
      return run(["outbox"], "readonly", function (tx) { return done(tx.objectStore("outbox").getAll()); });
    },
    getQueued: function (id) {
      return run(["outbox"], "readonly", function (tx) { return done(tx.objectStore("outbox").get(id)); });
    },
    putQueued: function (entry) {
      return run(["outbox"], "readwrite", function (tx) { return done(tx.objectStore("outbox").put(entry)); });
    },
    count: function () {
      return run(["outbox"], "readonly", function (tx) { return done(tx.objectStore("outbox").count()); });
    },
    /* Submit: the draft becomes an outbox entry in one transaction, never both or neither. */
    queue: function (assignment, entry) {
      return run(["drafts", "outbox"], "readwrite", function (tx) {
        tx.objectStore("drafts").delete(assignment);
        return done(tx.objectStore("outbox").put(entry));
      });
    },
    /* The server has it: the entry and its photos leave the phone together (and, when
       `sent`, the time of the last upload is noted beside the drafts, for the status chip). */
    finish: function (entry, sent) {
      return run(["outbox", "photos", "drafts"], "readwrite", function (tx) {
        (entry.photo_ids || []).forEach(function (id) { tx.objectStore("photos").delete(id); });
        if (sent) tx.objectStore("drafts").put({ assignment: "meta:last-sent", at: Date.now() });
        return done(tx.objectStore("outbox").delete(entry.id));
      });
    },
    lastSent: function () {
      return run(["drafts"], "readonly", function (tx) { return done(tx.objectStore("drafts").get("meta:last-sent")); })
        .then(function (meta) { return meta ? meta.at : 0; });
    },
    /* A refused audit goes back to being a draft, to be fixed and sent again. */
    reopen: function (entry, draft) {
      return run(["drafts", "outbox"], "readwrite", function (tx) {
        tx.objectStore("outbox").delete(entry.id);
        return done(tx.objectStore("drafts").put(draft));
      });
    },
  };

  global.auditStore = store;
})(self);
