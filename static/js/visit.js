/* The visit form: every change saved at once as a draft under the audit's UUID,
 * restored exactly on reload; photos downscaled on the phone and kept until sent;
 * submit lists what is missing and jumps to it, or moves the audit to the outbox.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const form = document.getElementById("visit");
  if (!form) return;
  const assignment = form.dataset.assignment ? Number(form.dataset.assignment) : null;
  const draftKey = form.dataset.draftKey; // "visit:<id>", or "audit:<uuid>" when fixing a sent-back audit
  const auditId = form.dataset.auditId || null;
  const revision = Number(form.dataset.revision || 1);
  const MAX_SIDE = 1600;
  let draft = null;
  const urls = {};

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  function localInput(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function iso(local) {
    const date = new Date(local);
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return local.length === 16 ? local + ":00" + sign + pad(Math.floor(Math.abs(offset) / 60)) + ":" + pad(Math.abs(offset) % 60) : date.toISOString();
  }

  function items() { return Array.prototype.slice.call(form.querySelectorAll("fieldset.item")); }
  function itemOf(key) { return document.getElementById("i-" + key); }

  function fresh() {
    const draft = {
      assignment: draftKey, id: auditId || uuid(), store: form.dataset.store, store_name: form.dataset.storeName,
      checklist: form.dataset.checklist, version: form.dataset.version,
      started_at: localInput(new Date()), finished_at: "", finished_set: false,
      answers: {}, comments: {}, notes: "", photos: {}, audit_photos: [], problems: [],
    };
    const prefill = document.getElementById("prefill");
    return prefill ? Object.assign(draft, earlier(JSON.parse(prefill.textContent))) : draft;
  }

  /* A sent-back audit starts from what the shopper sent last time. */
  function earlier(sent) {
    const photos = {};
    items().forEach(function (fieldset) {
      const key = fieldset.dataset.key;
      if (fieldset.dataset.type === "photo" && sent.answers[key] && sent.answers[key] !== "na") photos[key] = [sent.answers[key]];
    });
    return {
      started_at: localInput(new Date(sent.started_at)), finished_at: localInput(new Date(sent.finished_at)), finished_set: true,
      answers: sent.answers, comments: sent.comments, notes: sent.notes, photos: photos, audit_photos: sent.audit_photos,
    };
  }

  /* ---- draft <-> form ---- */

  function restore() {
    form.elements.started_at.value = draft.started_at || "";
    form.elements.finished_at.value = draft.finished_set ? draft.finished_at : "";
    form.elements.notes.value = draft.notes || "";
    items().forEach(function (fieldset) {
      const key = fieldset.dataset.key;
      const value = draft.answers[key];
      fieldset.querySelectorAll('[name="a:' + key + '"]').forEach(function (input) {
        if (input.type === "radio") input.checked = value !== undefined && String(value) === input.value;
        else input.value = value === undefined || value === "na" ? "" : value;
      });
      const na = fieldset.querySelector('[name="na:' + key + '"]');
      if (na) na.checked = value === "na";
      const comment = fieldset.querySelector('[name="c:' + key + '"]');
      if (comment) {
        comment.value = draft.comments[key] || "";
        if (comment.value) comment.closest("details").open = true;
      }
    });
    Object.keys(draft.photos).forEach(function (key) { showThumbs(key); });
    showThumbs("");
    showProblems(draft.problems || []);
  }

  function read(target) {
    const name = target.name || "";
    if (name === "started_at") draft.started_at = target.value;
    else if (name === "finished_at") { draft.finished_at = target.value; draft.finished_set = Boolean(target.value); }
    else if (name === "notes") draft.notes = target.value;
    else if (name.startsWith("c:")) draft.comments[name.slice(2)] = target.value;
    else if (name.startsWith("na:")) {
      const key = name.slice(3);
      if (target.checked) draft.answers[key] = "na";
      else delete draft.answers[key];
      const input = form.querySelector('[name="a:' + key + '"]');
      if (input) input.value = "";
    } else if (name.startsWith("a:")) {
      const key = name.slice(2);
      let value = target.value;
      if (target.type === "number" || (target.dataset.number !== undefined && value !== "na")) value = value === "" ? "" : Number(value);
      if (value === "" || (typeof value === "string" && !value.trim())) delete draft.answers[key];
      else draft.answers[key] = value;
      const na = form.querySelector('[name="na:' + key + '"]');
      if (na && value !== "") na.checked = false;
      clearProblem(key);
    } else return false;
    return true;
  }

  let saving = Promise.resolve();
  function save() {
    saving = saving.then(function () { return store.putDraft(draft); }).then(function () {
      const saved = form.querySelector("[data-saved]");
      saved.textContent = "Saved on this phone";
    }, function (error) {
      form.querySelector("[data-saved]").textContent = "Could not save: " + error.message;
    });
    return saving;
  }

  /* ---- progress ---- */

  function answered(fieldset) {
    const key = fieldset.dataset.key;
    if (fieldset.dataset.type === "photo") return Boolean(draft.photos[key] && draft.photos[key].length) || draft.answers[key] === "na";
    return draft.answers[key] !== undefined;
  }

  function progress() {
    const all = items();
    const done = all.filter(answered).length;
    form.querySelector("[data-progress]").value = done;
    form.querySelector("[data-progress-text]").textContent = done + " of " + all.length + " answered";
    form.querySelectorAll("[data-section-count]").forEach(function (span) {
      const section = document.getElementById("s-" + span.dataset.sectionCount);
      const inside = Array.prototype.slice.call(section.querySelectorAll("fieldset.item"));
      span.textContent = inside.filter(answered).length + "/" + inside.length;
      span.parentElement.classList.toggle("complete", inside.every(answered));
    });
  }

  /* ---- photos ---- */

  async function downscale(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("the photo could not be read")); }, "image/jpeg", 0.85);
    });
  }

  function photoList(key) { return key ? (draft.photos[key] = draft.photos[key] || []) : draft.audit_photos; }

  function photoProblem(key, message) {
    const box = key ? itemOf(key) : form.querySelector("[data-audit-photos]");
    const place = box && box.querySelector(key ? "[data-problem]" : "[data-photo-problem]");
    if (place) place.textContent = message;
  }

  async function addPhotos(key, files) {
    photoProblem(key, "");
    for (const file of files) {
      let blob;
      try { blob = await downscale(file); } catch (error) {
        photoProblem(key, "“" + file.name + "” is not a photo this phone can read: choose a JPEG, PNG or WebP picture.");
        continue;
      }
      const id = uuid();
      await store.putPhoto({ id: id, audit: draft.id, blob: blob, type: "image/jpeg", uploaded: false });
      const list = photoList(key);
      if (key) {
        // one photo per checklist item: a new one replaces the old
        list.splice(0).forEach(function (old) { store.deletePhoto(old); });
        if (draft.answers[key] === "na") delete draft.answers[key];
        const na = form.querySelector('[name="na:' + key + '"]');
        if (na) na.checked = false;
      }
      list.push(id);
      if (key) draft.answers[key] = id;
    }
    await save();
    showThumbs(key);
    progress();
  }

  async function removePhoto(key, id) {
    const list = photoList(key);
    list.splice(list.indexOf(id), 1);
    if (key) delete draft.answers[key];
    await save();
    store.deletePhoto(id);
    showThumbs(key);
    progress();
  }

  async function showThumbs(key) {
    const box = key ? itemOf(key) : form.querySelector("[data-audit-photos]");
    if (!box) return;
    const thumbs = box.querySelector("[data-thumbs]");
    thumbs.textContent = "";
    for (const id of photoList(key).slice()) {
      const photo = await store.getPhoto(id);
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      if (photo) {
        urls[id] = urls[id] || URL.createObjectURL(photo.blob);
        img.src = urls[id];
        img.alt = key ? "Photo for this item" : "Photo of the visit";
      } else {
        // sent with an earlier revision: the server keeps it, this phone may not have it
        img.src = "/photos/" + encodeURIComponent(id);
        img.alt = "Photo sent earlier, kept with the audit";
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove photo";
      remove.addEventListener("click", function () { removePhoto(key, id); });
      figure.append(img, remove);
      thumbs.append(figure);
    }
  }

  /* ---- problems and submit ---- */

  function clearProblem(key) {
    const fieldset = itemOf(key);
    if (!fieldset) return;
    fieldset.classList.remove("invalid");
    fieldset.querySelector("[data-problem]").textContent = "";
  }

  function showProblems(problems) {
    const box = form.querySelector("[data-missing]");
    items().forEach(function (f) { clearProblem(f.dataset.key); });
    const timeProblem = problems.find(function (p) { return TIME_LABELS[p.field]; });
    form.querySelector("[data-times-problem]").textContent = timeProblem ? timeProblem.message : "";
    ["started_at", "finished_at"].forEach(function (name) {
      if (timeProblem && timeProblem.field === name) form.elements[name].setAttribute("aria-invalid", "true");
      else form.elements[name].removeAttribute("aria-invalid");
    });
    if (!problems.length) { box.hidden = true; box.textContent = ""; return null; }
    box.textContent = "";
    const title = document.createElement("p");
    title.textContent = problems.length === 1 ? "One thing to fix before this audit can be sent:" : problems.length + " things to fix before this audit can be sent:";
    const list = document.createElement("ul");
    problems.forEach(function (problem) {
      const fieldset = itemOf(problem.field);
      if (fieldset) {
        fieldset.classList.add("invalid");
        fieldset.querySelector("[data-problem]").textContent = problem.message;
      }
      // an item or one of the times: a link to it, named as the shopper sees it
      const label = fieldset ? fieldset.querySelector("legend").firstChild.textContent.trim() : TIME_LABELS[problem.field];
      const li = document.createElement("li");
      if (label) {
        const a = document.createElement("a");
        a.href = "#" + (fieldset ? fieldset.id : problem.field);
        a.textContent = label + ": " + problem.message;
        li.append(a);
      } else {
        li.textContent = (problem.field ? problem.field + ": " : "") + problem.message;
      }
      list.append(li);
    });
    box.append(title, list);
    box.hidden = false;
    return problems.map(function (p) { return itemOf(p.field) || (TIME_LABELS[p.field] && form.querySelector(".times")); }).find(Boolean) || null;
  }

  function missing() {
    const problems = [];
    items().forEach(function (fieldset) {
      const key = fieldset.dataset.key;
      if (fieldset.dataset.required !== undefined && !answered(fieldset)) problems.push({ field: key, message: "an answer is required" });
      const number = fieldset.querySelector('input[type="number"]');
      if (number && number.value !== "" && !number.checkValidity()) problems.push({ field: key, message: "out of range (" + number.validationMessage + ")" });
    });
    problems.unshift.apply(problems, timeProblems());
    return problems;
  }

  /* The server's rules for the visit's times, checked here so the shopper hears of them
     before the audit leaves the form (it may wait offline for hours). */
  function timeProblems() {
    if (!draft.started_at) return [{ field: "started_at", message: "the time the visit started is needed" }];
    const soon = Date.now() + 60 * 60 * 1000;
    const started = new Date(draft.started_at).getTime();
    const endSet = Boolean(draft.finished_set && draft.finished_at);
    const ended = endSet ? new Date(draft.finished_at).getTime() : Date.now();
    // with no end given, the visit ends now: a start after now is the start's mistake
    if (started > (endSet ? soon : Date.now())) return [{ field: "started_at", message: "the visit starts in the future: check the time" }];
    if (ended < started) return [{ field: "finished_at", message: "the visit cannot end before it started" }];
    if (ended > soon) return [{ field: "finished_at", message: "the visit ends in the future: check the time" }];
    if (ended - started > 24 * 60 * 60 * 1000) return [{ field: "finished_at", message: "a visit cannot last more than 24 hours" }];
    return [];
  }

  const TIME_LABELS = { started_at: "Started", finished_at: "Ended" };

  function submission() {
    const answers = {};
    Object.keys(draft.answers).forEach(function (key) {
      answers[key] = { value: draft.answers[key], comment: draft.comments[key] || "" };
    });
    Object.keys(draft.comments).forEach(function (key) {
      if (!answers[key] && draft.comments[key]) answers[key] = { value: null, comment: draft.comments[key] };
    });
    return {
      id: draft.id, store: draft.store, checklist: draft.checklist, checklist_version: draft.version,
      assignment: assignment, started_at: iso(draft.started_at), finished_at: iso(draft.finished_at),
      answers: answers, notes: draft.notes, photos: draft.audit_photos.slice(), revision: revision,
    };
  }

  async function submit(event) {
    event.preventDefault();
    const problems = missing();
    const first = showProblems(problems);
    if (problems.length) {
      const box = form.querySelector("[data-missing]");
      (first || box).scrollIntoView({ block: "start" });
      const control = first && (first.classList.contains("times") ? form.elements[problems[0].field] : first.querySelector("input, textarea"));
      (control || box).focus({ preventScroll: true });
      return;
    }
    if (!draft.finished_set) draft.finished_at = localInput(new Date());
    const photoIds = Object.keys(draft.photos).reduce(function (ids, key) { return ids.concat(draft.photos[key]); }, []).concat(draft.audit_photos);
    const entry = {
      id: draft.id, assignment: assignment, draft_key: draftKey, form_url: location.pathname,
      store: draft.store, store_name: draft.store_name, shopper: form.dataset.shopper, submission: submission(), photo_ids: photoIds, draft: draft,
      state: "waiting", attempts: 0, next_try: 0, error: "", problems: [], queued_at: Date.now(),
    };
    await saving;
    await store.queue(draftKey, entry);
    self.auditOutbox.changed();
    location.assign("/outbox");
  }

  async function start() {
    const queued = (await store.outbox()).find(function (e) { return e.draft_key === draftKey && e.state !== "rejected"; });
    if (queued) {
      form.querySelector("[data-queued]").hidden = false;
      form.querySelectorAll("fieldset, .submit-bar, section").forEach(function (el) { el.hidden = true; });
      return;
    }
    draft = (await store.getDraft(draftKey)) || null;
    if (!draft || draft.version !== form.dataset.version && !Object.keys(draft.answers).length) {
      draft = draft && draft.id ? Object.assign(fresh(), { id: draft.id, started_at: draft.started_at }) : fresh();
      await save();
    }
    if (draft.version !== form.dataset.version) {
      form.dataset.version = draft.version; // keep answering the version the draft began with
    }
    restore();
    progress();
    form.addEventListener("input", function (event) { if (read(event.target)) { save(); progress(); } });
    form.addEventListener("change", function (event) {
      const target = event.target;
      if (target.matches("[data-photo-input]")) {
        const key = target.name.slice(2);
        addPhotos(key, Array.prototype.slice.call(target.files));
        target.value = "";
        return;
      }
      if (read(target)) { save(); progress(); }
    });
    form.addEventListener("submit", submit);
    form.dataset.ready = "true"; // the draft is on screen
  }

  start();
})();
