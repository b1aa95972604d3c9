/* "Waiting to upload": every audit still on the phone, its state and last error; send
 * now; fix a refused one; save them all (photos included) to one file as a last resort.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const list = document.querySelector("[data-outbox-list]");
  if (!list) return;
  const status = document.querySelector("[data-outbox-status]");

  const FIELDS = { assignment: "Visit", started_at: "Started", finished_at: "Ended", store: "Store", id: "Audit" };
  const STATES = {
    waiting: "Waiting for the network",
    signin: "Waiting for you to sign in again",
    rejected: "Refused by the server: needs you",
  };

  function when(ms) {
    return ms ? new Date(ms).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
  }

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
    li.append(element("h2", entry.store_name + " (" + entry.store + ")"));
    li.append(element("p", "Submitted on the phone " + when(entry.queued_at) + " · " + (STATES[entry.state] || entry.state), "state"));
    if (entry.error) li.append(element("p", "Last try " + when(entry.tried_at) + ": " + entry.error, entry.state === "rejected" ? "error" : "muted"));
    if (entry.problems && entry.problems.length) {
      const problems = element("ul", "", "problems");
      entry.problems.forEach(function (p) { problems.append(element("li", (p.field ? (FIELDS[p.field] || p.field) + ": " : "") + p.message)); });
      li.append(problems);
    }
    if (entry.state === "rejected") {
      const about = function (field) { return (entry.problems || []).some(function (p) { return p.field === field; }); };
      if (about("id")) li.append(button("Send as a new audit", function () { sendAsNew(entry); }));
      else if (about("assignment")) li.append(button("Remove this copy", function () { remove(entry); }));
      else li.append(button("Fix and send again", function () { fix(entry); }));
    }
    return li;
  }

  /* The visit was reported already (from another phone, say) or is no longer the shopper's:
     fixing the answers cannot help, so the shopper may take this copy off the phone. */
  async function remove(entry) {
    const question = "This audit cannot be the report of its planned visit (see the reason), so it cannot be sent. Remove it from this phone? " +
      "(Save waiting audits to a file first if you want to keep it.)";
    if (!window.confirm(question)) return;
    await store.finish(entry);
    self.auditOutbox.changed();
    render();
  }

  async function render() {
    const entries = (await store.outbox()).sort(function (a, b) { return a.queued_at - b.queued_at; });
    list.textContent = "";
    entries.forEach(function (entry) { list.append(row(entry)); });
    document.querySelector("[data-outbox-empty]").hidden = entries.length > 0;
    document.querySelector("[data-save-file]").disabled = entries.length === 0;
  }

  function base64(blob) {
    return new Promise(function (resolve, reject) {
      const reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1]); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  async function saveToFile() {
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
    status.textContent = audits.length + (audits.length === 1 ? " audit" : " audits") + " saved to " + link.download + ". They stay here until the server has them.";
  }

  document.querySelector("[data-send-now]").addEventListener("click", async function () {
    status.textContent = "Sending…";
    await self.auditApp.send(true);
    const left = await store.count();
    status.textContent = left ? left + " still waiting." : "Everything has been sent.";
  });
  document.querySelector("[data-save-file]").addEventListener("click", saveToFile);
  window.addEventListener("outbox-changed", render);
  if (self.auditOutbox.channel) self.auditOutbox.channel.addEventListener("message", render);
  render();
})();
