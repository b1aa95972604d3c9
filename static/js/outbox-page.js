/* "Waiting to upload": every audit still on the phone, its state and, when the server
 * refused it, why in plain words (the store and the visit's day, never ids or ISO
 * dates) and what to do: fix and send again, send as a new audit, or remove the copy.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const dates = self.auditDates;
  const list = document.querySelector("[data-outbox-list]");
  if (!list) return;
  const status = document.querySelector("[data-outbox-status]");

  const FIELDS = { started_at: "The start time", finished_at: "The end time", notes: "Your account", photos: "A photo", photo: "A photo" };
  const STATES = {
    waiting: "Waiting for the network",
    signin: "Waiting for you to sign in again",
    rejected: "Not accepted: needs you",
  };

  function element(tag, text, className) {
    const el = document.createElement(tag);
    if (text) el.textContent = text;
    if (className) el.className = className;
    return el;
  }

  function button(text, action, className) {
    const b = element("button", text, className || "secondary");
    b.type = "button";
    b.addEventListener("click", action);
    return b;
  }

  function visitDay(entry) {
    const started = entry.submission && entry.submission.started_at;
    return started ? dates.dayOf(started, entry.zone || undefined) : "";
  }

  /* What the server said, without its internal references: ISO days as days, no ids. */
  function plain(message) {
    return String(message || "")
      .replace(/\b(\d{4}-\d{2}-\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?\b/g, function (day) { return dates.day(day); })
      .replace(/,? by audit [0-9a-f-]{6,}/gi, "")
      .replace(/planned visit \d+/gi, "the planned visit")
      .replace(/photo [0-9a-f-]{36}/gi, "a photo");
  }

  /* The refusal as the shopper should hear it, and the one thing to do about it. */
  function explain(entry) {
    const problems = entry.problems || [];
    const visit = entry.store_name + (visitDay(entry) ? " on " + visitDay(entry) : "");
    const about = function (field, words) {
      return problems.some(function (p) { return p.field === field && (!words || words.test(p.message)); });
    };
    if (about("id")) {
      return { lead: "Another audit with the same reference, but other answers, is already on the server. Your audit of " + visit + " can go as a new audit.", action: "new" };
    }
    if (about("assignment", /already reported/)) {
      return { lead: "Your visit to " + visit + " was already reported, from another phone or by someone else. This copy cannot be sent: remove it from this phone (save it to a file first if you want to keep it).", action: "remove" };
    }
    if (about("assignment")) {
      return { lead: "The visit to " + visit + " is no longer planned for you: it may have been cancelled, moved or given to someone else. Ask your office; this copy cannot be sent and can be removed from this phone.", action: "remove" };
    }
    if (about("finished_at", /before/)) {
      const opens = entry.opens ? dates.day(entry.opens) : "";
      return { lead: "Your audit of " + visit + " is dated before the visit's window opens" + (opens ? " (" + opens + ")" : "") + ". Check the phone's date and the visit's times, then send it again.", action: "fix" };
    }
    const lines = problems.map(function (p) {
      const label = (entry.labels && entry.labels[p.field]) ? "“" + entry.labels[p.field] + "”" : FIELDS[p.field] || (p.field ? "An answer" : "");
      return (label ? label + ": " : "") + plain(p.message);
    });
    if (!lines.length && entry.error) lines.push(plain(entry.error)); // a refusal without a field: its own words
    return { lead: "The server did not accept your audit of " + visit + ". Open it, fix what is listed and send it again.", lines: lines, action: "fix" };
  }

  async function fix(entry) {
    const draft = entry.draft || {};
    draft.assignment = entry.draft_key || draft.assignment;
    draft.problems = entry.problems || [];
    await store.reopen(entry, draft);
    self.auditOutbox.changed();
    location.assign(entry.form_url || "/visits/" + entry.assignment);
  }

  async function sendAsNew(entry) {
    // The id is taken by an audit with other content: this one goes as a separate audit.
    const renamed = Object.assign({}, entry, { id: crypto.randomUUID(), state: "waiting", attempts: 0, next_try: 0, error: "", problems: [] });
    renamed.submission = Object.assign({}, entry.submission, { id: renamed.id });
    if (renamed.draft) renamed.draft = Object.assign({}, entry.draft, { id: renamed.id });
    await store.putQueued(renamed);
    await store.finish({ id: entry.id, photo_ids: [] });
    self.auditOutbox.changed();
    self.auditApp.send(true);
  }

  function row(entry) {
    const li = element("li", "", "queued " + entry.state);
    li.append(element("h2", entry.store_name));
    const day = visitDay(entry);
    const line = (day ? "Visit of " + day + " · " : "") + "submitted on the phone " + dates.moment(entry.queued_at);
    li.append(element("p", line, "muted"));
    li.append(element("p", STATES[entry.state] || entry.state, "state"));
    if (entry.state === "rejected") {
      const said = explain(entry);
      li.append(element("p", said.lead, "error"));
      if (said.lines && said.lines.length) {
        const problems = element("ul", "", "problems");
        said.lines.forEach(function (text) { problems.append(element("li", text)); });
        li.append(problems);
      }
      if (said.action === "new") li.append(button("Send as a new audit", function () { sendAsNew(entry); }));
      else if (said.action === "remove") li.append(button("Remove this copy", function () { remove(entry); }));
      else li.append(button("Fix and send again", function () { fix(entry); }));
    } else if (entry.error) {
      li.append(element("p", "Last try " + dates.time(entry.tried_at) + ": " + plain(entry.error), "muted"));
    }
    return li;
  }

  /* The visit was reported already (from another phone, say) or is no longer the shopper's:
     fixing the answers cannot help, so the shopper may take this copy off the phone. */
  async function remove(entry) {
    const question = "This audit cannot be sent (see the reason). Remove it from this phone? " +
      "(Save waiting audits to a file first if you want to keep it.)";
    if (!window.confirm(question)) return;
    await store.finish(entry);
    self.auditOutbox.changed();
    render();
  }

  async function render() {
    const entries = (await store.outbox()).sort(function (a, b) { return a.queued_at - b.queued_at; });
    list.replaceChildren.apply(list, entries.map(row));
    document.querySelector("[data-outbox-empty]").hidden = entries.length > 0;
    document.querySelector("[data-outbox-actions]").hidden = entries.length === 0;
  }

  try {
    const queued = sessionStorage.getItem("audit-queued");
    if (queued !== null) {
      sessionStorage.removeItem("audit-queued");
      document.querySelector("[data-queued-note]").hidden = false;
    }
  } catch (_) { /* no session storage: no note */ }

  document.querySelector("[data-send-now]").addEventListener("click", async function () {
    status.textContent = "Sending…";
    await self.auditApp.send(true);
    const left = await store.count();
    status.textContent = left ? left + " still waiting." : "Everything has been sent.";
  });
  window.addEventListener("outbox-changed", function (event) { if (!event.detail || event.detail === "changed") render(); });
  if (self.auditOutbox.channel) self.auditOutbox.channel.addEventListener("message", function (event) { if (event.data === "changed") render(); });
  render();
})();
