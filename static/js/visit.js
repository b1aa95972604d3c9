/* The visit form: one section per screen with a stepper, Back and Next; every change
 * saved at once as a draft under the audit's UUID and restored exactly on reload;
 * photos (of a photo item, beside any other answer, of the visit) downscaled on the
 * phone and kept until sent; a review screen that lists what
 * is missing by section before Submit moves the audit to the outbox. A visit whose
 * window has not opened yet (where the store is) can be read, not filled or submitted.
 */
(function () {
  "use strict";

  const store = self.auditStore;
  const dates = self.auditDates;
  const form = document.getElementById("visit");
  if (!form) return;
  const assignment = form.dataset.assignment ? Number(form.dataset.assignment) : null;
  const draftKey = form.dataset.draftKey; // "visit:<id>", or "audit:<uuid>" when fixing a sent-back audit
  const auditId = form.dataset.auditId || null;
  const revision = Number(form.dataset.revision || 1);
  const zone = form.dataset.zone || undefined;
  const MAX_SIDE = 1600;
  const PHOTO_BYTES = 240 * 1024;
  const ANSWER_PHOTOS = 5; // beside one answer, as the server takes them
  const REVIEW = "review";
  const TIME_LABELS = { started_at: "Started", finished_at: "Ended" };
  const FIELDS = { assignment: "Visit", store: "Store", id: "Audit", notes: "Your account", photos: "Photos" };
  let draft = null;
  let current = null;
  let upcoming = false;
  const urls = {};

  function $(selector, root) { return (root || form).querySelector(selector); }
  function all(selector, root) { return Array.prototype.slice.call((root || form).querySelectorAll(selector)); }
  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text) e.textContent = text;
    if (className) e.className = className;
    return e;
  }
  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "i");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#i-" + name);
    svg.append(use);
    return svg;
  }

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

  /* ---- the checklist as drawn ---- */

  function items(root) { return all("fieldset.item", root); }
  function itemOf(key) { return document.getElementById("i-" + key); }
  function sections() { return all("section.section[data-section]:not(#s-review)"); }
  function sectionOf(fieldset) { return fieldset.closest("section.section"); }
  function step(key) { return document.getElementById("s-" + key); }
  function required(fieldset) { return fieldset.dataset.required !== undefined; }
  /* a photo item's photo is its answer; any other card may carry photos beside its answer */
  function photoItem(key) { const f = key && itemOf(key); return Boolean(f && f.dataset.type === "photo"); }
  function question(fieldset) { return $("legend", fieldset).firstChild.textContent.trim(); }
  function titleOf(section) { return $("[data-title]", section).textContent; }

  function fresh() {
    const draft = {
      assignment: draftKey, id: auditId || uuid(), store: form.dataset.store, store_name: form.dataset.storeName,
      checklist: form.dataset.checklist, version: form.dataset.version,
      started_at: localInput(new Date()), finished_at: "", finished_set: false,
      answers: {}, comments: {}, notes: "", photos: {}, audit_photos: [], problems: [], seen: {}, step: null,
    };
    const prefill = document.getElementById("prefill");
    return prefill ? Object.assign(draft, earlier(JSON.parse(prefill.textContent))) : draft;
  }

  /* A sent-back audit starts from what the shopper sent last time. */
  function earlier(sent) {
    const photos = Object.assign({}, sent.photos);
    const seen = {};
    items().forEach(function (fieldset) {
      const key = fieldset.dataset.key;
      if (fieldset.dataset.type === "photo" && sent.answers[key] && sent.answers[key] !== "na") photos[key] = [sent.answers[key]];
    });
    sections().forEach(function (section) { seen[section.dataset.section] = true; });
    return {
      started_at: localInput(new Date(sent.started_at)), finished_at: localInput(new Date(sent.finished_at)), finished_set: true,
      answers: sent.answers, comments: sent.comments, notes: sent.notes, photos: photos, audit_photos: sent.audit_photos, seen: seen,
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
      all('[name="a:' + key + '"]', fieldset).forEach(function (input) {
        if (input.type === "radio") input.checked = value !== undefined && String(value) === input.value;
        else input.value = value === undefined || value === "na" ? "" : value;
      });
      const na = $('[name="na:' + key + '"]', fieldset);
      if (na) na.checked = value === "na";
      const comment = $('[name="c:' + key + '"]', fieldset);
      if (comment) comment.value = draft.comments[key] || "";
      markComment(key);
    });
    Object.keys(draft.photos).forEach(function (key) { showThumbs(key); });
    showThumbs("");
  }

  function read(target) {
    const name = target.name || "";
    if (name === "started_at") draft.started_at = target.value;
    else if (name === "finished_at") { draft.finished_at = target.value; draft.finished_set = Boolean(target.value); }
    else if (name === "notes") draft.notes = target.value;
    else if (name.startsWith("c:")) { draft.comments[name.slice(2)] = target.value; markComment(name.slice(2)); }
    else if (name.startsWith("na:")) {
      const key = name.slice(3);
      if (target.checked) draft.answers[key] = "na";
      else delete draft.answers[key];
      const input = $('[name="a:' + key + '"]');
      if (input) input.value = "";
      clearProblem(key);
    } else if (name.startsWith("a:")) {
      const key = name.slice(2);
      let value = target.value;
      if (target.type === "number" || (target.dataset.number !== undefined && value !== "na")) value = value === "" ? "" : Number(value);
      if (value === "" || (typeof value === "string" && !value.trim())) delete draft.answers[key];
      else draft.answers[key] = value;
      const na = $('[name="na:' + key + '"]');
      if (na && value !== "") na.checked = false;
      clearProblem(key);
    } else return false;
    return true;
  }

  let saving = Promise.resolve();
  function save() {
    if (upcoming) return saving;
    saving = saving.then(function () { return store.putDraft(draft); }).then(function () {
      const saved = $("[data-saved]");
      saved.textContent = "Saved on this phone";
      saved.className = "saved visually-hidden";
    }, function (error) {
      const saved = $("[data-saved]");
      saved.textContent = "Could not save: " + error.message;
      saved.className = "saved problem";
    });
    return saving;
  }

  /* ---- progress: answered items, and each section's state ---- */

  function answered(fieldset) {
    const key = fieldset.dataset.key;
    if (fieldset.dataset.type === "photo") return Boolean(draft.photos[key] && draft.photos[key].length) || draft.answers[key] === "na";
    return draft.answers[key] !== undefined;
  }

  /* done: every required item answered, and the optional ones answered or passed by;
     an optional item left empty does not keep a section "partly" once the shopper moved on */
  function stateOf(section) {
    const inside = items(section);
    const done = inside.filter(answered).length;
    const seen = Boolean(draft.seen && draft.seen[section.dataset.section]);
    const state = { counts: done + " of " + inside.length };
    if (inside.some(function (f) { return f.classList.contains("invalid"); })) state.kind = "problem";
    else if (inside.filter(required).every(answered) && (done === inside.length || seen)) state.kind = "done";
    else state.kind = done ? "partly" : "todo";
    return state;
  }

  const WORDS = { todo: "Not started", done: "Done", problem: "Has a problem" };
  /* the section list says the state in words; the review screen counts answers */
  function badge(state, counted) {
    const span = el("span", "", "state " + state.kind);
    const text = counted || state.kind === "partly" ? state.counts : WORDS[state.kind];
    span.append(icon(state.kind), el("span", text));
    if (counted || state.kind === "partly") span.append(el("span", state.kind === "problem" ? ", has a problem" : state.kind === "done" ? ", done" : " answered", "visually-hidden"));
    return span;
  }

  function progress() {
    const every = items();
    const done = every.filter(answered).length;
    const settled = every.filter(function (f) {
      return answered(f) || (!required(f) && draft.seen && draft.seen[sectionOf(f).dataset.section]);
    }).length;
    $("[data-progress]").value = settled;
    $("[data-progress-text]").textContent = done + " of " + every.length + " answered";
    sections().forEach(function (section) {
      const shown = badge(stateOf(section), false);
      shown.dataset.stateOf = section.dataset.section;
      $('[data-state-of="' + section.dataset.section + '"]').replaceWith(shown);
    });
    if (current === REVIEW) renderReview();
  }

  /* ---- one section per screen ---- */

  function go(key, options) {
    options = options || {};
    const order = sections().map(function (s) { return s.dataset.section; }).concat([REVIEW]);
    if (order.indexOf(key) < 0) key = order[0];
    if (current && current !== key && current !== REVIEW && draft) draft.seen[current] = true;
    current = key;
    all("section.section").forEach(function (s) { s.hidden = s.dataset.section !== key; });
    const index = order.indexOf(key);
    const total = order.length - 1;
    const where = $("[data-where]");
    where.textContent = key === REVIEW ? "Review and submit" : (index + 1) + " of " + total + " · " + titleOf(step(key));
    all("[data-goto]").forEach(function (b) {
      if (b.dataset.goto === key) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const back = $("[data-back]"); const next = $("[data-next]"); const submit = $("[data-submit]");
    back.disabled = index === 0;
    next.hidden = key === REVIEW;
    submit.hidden = key !== REVIEW;
    next.firstChild.textContent = index === total - 1 ? "Review " : "Next ";
    sheet(false);
    if (draft && !upcoming) { draft.step = key; save(); }
    progress();
    if (options.item) {
      const target = itemOf(options.item) || $(options.item);
      target.scrollIntoView({ block: "center" });
      const control = target.matches("input, textarea") ? target : $("input:not([type=hidden]), textarea", target);
      if (control) control.focus({ preventScroll: true });
    } else if (!options.stay) {
      const anchor = $("[data-stepper-anchor]");
      const top = anchor.getBoundingClientRect().top + window.scrollY;
      if (window.scrollY > top || options.scroll) window.scrollTo(0, top);
      $("h2", step(key)).focus({ preventScroll: true });
    }
  }

  function move(by) {
    const order = sections().map(function (s) { return s.dataset.section; }).concat([REVIEW]);
    const index = order.indexOf(current) + by;
    if (index >= 0 && index < order.length) go(order[index], { scroll: true });
  }

  function sheet(open) {
    const button = $("[data-step-now]");
    const list = document.getElementById("section-list");
    if (open === undefined) open = list.hidden;
    list.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.parentElement.classList.toggle("open", open);
  }

  /* ---- the review screen ---- */

  function jumpButton(fieldset) {
    const li = el("li");
    const b = el("button");
    b.type = "button";
    b.append(el("span", question(fieldset), "q"), icon("next"));
    b.addEventListener("click", function () { go(sectionOf(fieldset).dataset.section, { item: fieldset.dataset.key }); });
    li.append(b);
    return li;
  }

  function renderReview() {
    const list = $("[data-review-list]");
    list.textContent = "";
    sections().forEach(function (section, i) {
      const inside = items(section);
      const li = el("li");
      const head = el("div", "", "head");
      head.append(el("strong", (i + 1) + ". " + titleOf(section)), badge(stateOf(section), true));
      li.append(head);
      const fix = inside.filter(function (f) { return f.classList.contains("invalid") || (required(f) && !answered(f)); });
      if (fix.length && !upcoming) {
        const ul = el("ul");
        fix.forEach(function (f) { ul.append(jumpButton(f)); });
        li.append(el("p", (fix.length === 1 ? "1 question needs" : fix.length + " questions need") + " you:", "needed"), ul);
      }
      const left = inside.filter(function (f) { return !required(f) && !answered(f); }).length;
      if (left) li.append(el("p", left === 1 ? "1 optional question left empty" : left + " optional questions left empty", "muted"));
      list.append(li);
    });
    const photos = $("[data-review-photos]");
    photos.textContent = "";
    items().forEach(function (fieldset) { // in the checklist's order: photo items and photos beside answers
      const key = fieldset.dataset.key;
      (draft.photos[key] || []).forEach(function (id) {
        const b = el("button", "", "shot");
        b.type = "button";
        const img = el("img");
        img.src = urls[id] || "/photos/" + encodeURIComponent(id);
        img.alt = "Photo for: " + question(itemOf(key));
        b.append(img);
        b.addEventListener("click", function () { go(sectionOf(itemOf(key)).dataset.section, { item: key }); });
        photos.append(b);
      });
    });
    $("[data-review-photos-h]").hidden = !photos.childElementCount;
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
    // the best quality that keeps the photo under PHOTO_BYTES: it has to go up over a weak signal
    let blob = null;
    for (const quality of [0.85, 0.75, 0.65, 0.55]) {
      blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
      if (!blob) throw new Error("the photo could not be read");
      if (blob.size <= PHOTO_BYTES) break;
    }
    canvas.width = canvas.height = 0; // the pixels go now, not at the next collection
    return blob;
  }

  function photoList(key) { return key ? (draft.photos[key] = draft.photos[key] || []) : draft.audit_photos; }

  function photoProblem(key, message) {
    const box = key ? itemOf(key) : $("[data-audit-photos]");
    const place = box && $(key ? "[data-problem]" : "[data-photo-problem]", box);
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
      const list = photoList(key);
      if (key && !photoItem(key) && list.length >= ANSWER_PHOTOS) {
        photoProblem(key, "At most " + ANSWER_PHOTOS + " photos beside one answer: remove one to add another.");
        break;
      }
      const id = uuid();
      await store.putPhoto({ id: id, audit: draft.id, blob: blob, type: "image/jpeg", uploaded: false });
      if (photoItem(key)) {
        // one photo per checklist item: a new one replaces the old
        list.splice(0).forEach(function (old) { store.deletePhoto(old); });
        if (draft.answers[key] === "na") delete draft.answers[key];
        const na = $('[name="na:' + key + '"]');
        if (na) na.checked = false;
        clearProblem(key);
      }
      list.push(id);
      if (photoItem(key)) draft.answers[key] = id;
    }
    await save();
    await showThumbs(key);
    progress();
  }

  async function removePhoto(key, id) {
    const list = photoList(key);
    list.splice(list.indexOf(id), 1);
    if (photoItem(key)) delete draft.answers[key];
    await save();
    store.deletePhoto(id);
    await showThumbs(key);
    progress();
  }

  async function showThumbs(key) {
    const box = key ? itemOf(key) : $("[data-audit-photos]");
    if (!box) return;
    const thumbs = $("[data-thumbs]", box);
    const figures = [];
    for (const id of photoList(key).slice()) {
      const photo = await store.getPhoto(id);
      const figure = el("figure");
      const img = el("img");
      if (photo) {
        urls[id] = urls[id] || URL.createObjectURL(photo.blob);
        img.src = urls[id];
        img.alt = key ? "Photo for: " + question(itemOf(key)) : "Photo of the visit";
      } else {
        // sent with an earlier revision: the server keeps it, this phone may not have it
        img.src = "/photos/" + encodeURIComponent(id);
        img.alt = "Photo sent earlier, kept with the audit";
      }
      const remove = el("button", "", "secondary");
      remove.type = "button";
      remove.append(el("span", "×"), el("span", "Remove photo", "visually-hidden"));
      remove.firstChild.setAttribute("aria-hidden", "true");
      remove.disabled = upcoming;
      remove.addEventListener("click", function () { removePhoto(key, id); });
      figure.append(img, remove);
      figures.push(figure);
    }
    thumbs.replaceChildren.apply(thumbs, figures);
    markPhotos(key);
  }

  /* ---- guidance and comment: small buttons that open in place ---- */

  function markComment(key) {
    const tool = $('#i-' + CSS.escape(key) + ' [data-comment-tool]');
    if (!tool) return;
    const has = Boolean(draft.comments[key]);
    tool.classList.toggle("has", has);
    tool.lastChild.textContent = has ? "Comment (written)" : "Comment";
  }

  /* the card's camera button says at a glance that photos sit beside the answer */
  function markPhotos(key) {
    const tool = key && $('#i-' + CSS.escape(key) + ' [data-photo-tool]');
    if (!tool) return;
    const count = photoList(key).length;
    tool.classList.toggle("has", count > 0);
    tool.lastChild.textContent = count ? "Add a photo (" + count + " added)" : "Add a photo";
  }

  function toggleTool(button) {
    const drawer = document.getElementById(button.getAttribute("aria-controls"));
    const open = drawer.hidden;
    drawer.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open && button.dataset.commentTool !== undefined) $("textarea", drawer).focus();
  }

  /* ---- problems and submit ---- */

  function clearProblem(key) {
    const fieldset = itemOf(key);
    if (draft && draft.problems && draft.problems.length) {
      draft.problems = draft.problems.filter(function (p) { return p.field !== key; });
    }
    if (!fieldset) return;
    fieldset.classList.remove("invalid");
    $("[data-problem]", fieldset).textContent = "";
  }

  /* Marks each problem where it belongs; the review screen's box says what to fix,
     grouped by section. Returns where the first problem is. */
  function showProblems(problems) {
    const box = $("[data-missing]");
    items().forEach(function (f) { f.classList.remove("invalid"); $("[data-problem]", f).textContent = ""; });
    const timeProblem = problems.find(function (p) { return TIME_LABELS[p.field]; });
    $("[data-times-problem]").textContent = timeProblem ? timeProblem.message : "";
    ["started_at", "finished_at"].forEach(function (name) {
      if (timeProblem && timeProblem.field === name) form.elements[name].setAttribute("aria-invalid", "true");
      else form.elements[name].removeAttribute("aria-invalid");
    });
    box.textContent = "";
    if (!problems.length) { box.hidden = true; progress(); return null; }
    const needed = problems.filter(function (p) { return p.required; }).length;
    const other = problems.filter(function (p) { return !p.required; });
    const groups = [];
    other.forEach(function (problem) {
      const fieldset = itemOf(problem.field);
      const section = fieldset ? titleOf(sectionOf(fieldset)) : "The visit";
      let group = groups.find(function (g) { return g.title === section; });
      if (!group) groups.push(group = { title: section, list: el("ul") });
      const label = fieldset ? question(fieldset) : TIME_LABELS[problem.field] || FIELDS[problem.field] || "";
      const li = el("li");
      if (fieldset || TIME_LABELS[problem.field]) {
        const a = el("a", (label ? label + ": " : "") + problem.message);
        a.href = "#" + (fieldset ? fieldset.id : problem.field);
        a.addEventListener("click", function (event) {
          event.preventDefault();
          go(fieldset ? sectionOf(fieldset).dataset.section : REVIEW, { item: fieldset ? problem.field : "#" + problem.field });
        });
        li.append(a);
      } else {
        li.textContent = (label ? label + ": " : "") + problem.message;
      }
      group.list.append(li);
    });
    problems.forEach(function (problem) {
      const fieldset = itemOf(problem.field);
      if (!fieldset) return;
      fieldset.classList.add("invalid");
      $("[data-problem]", fieldset).textContent = problem.message;
    });
    const count = problems.length;
    box.append(el("p", count === 1 ? "One thing to fix before this audit can be sent." : count + " things to fix before this audit can be sent."));
    if (needed) box.append(el("p", (needed === 1 ? "1 answer is needed" : needed + " answers are needed") + ": they are listed under their sections below."));
    groups.forEach(function (group) { box.append(el("h3", group.title), group.list); });
    box.hidden = false;
    progress();
    const first = problems[0];
    return itemOf(first.field) || (TIME_LABELS[first.field] ? form.elements[first.field] : null);
  }

  function missing() {
    const problems = [];
    items().forEach(function (fieldset) {
      const key = fieldset.dataset.key;
      if (required(fieldset) && !answered(fieldset)) problems.push({ field: key, message: "an answer is needed", required: true });
      const number = $('input[type="number"]', fieldset);
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

  function submission() {
    const answers = {};
    Object.keys(draft.answers).forEach(function (key) {
      answers[key] = { value: draft.answers[key], comment: draft.comments[key] || "" };
    });
    Object.keys(draft.comments).forEach(function (key) {
      if (!answers[key] && draft.comments[key]) answers[key] = { value: null, comment: draft.comments[key] };
    });
    Object.keys(draft.photos).forEach(function (key) {
      if (photoItem(key) || !itemOf(key) || !draft.photos[key].length) return;
      answers[key] = answers[key] || { value: null, comment: draft.comments[key] || "" };
      answers[key].photos = draft.photos[key].slice();
    });
    return {
      id: draft.id, store: draft.store, checklist: draft.checklist, checklist_version: draft.version,
      assignment: assignment, started_at: iso(draft.started_at), finished_at: iso(draft.finished_at),
      answers: answers, notes: draft.notes, photos: draft.audit_photos.slice(), revision: revision,
    };
  }

  async function submit(event) {
    event.preventDefault();
    if (current !== REVIEW) return; // Enter in a field sends nothing: Submit is on the review screen
    if (upcoming) return;
    const problems = missing();
    const first = showProblems(problems);
    if (problems.length) {
      const box = $("[data-missing]");
      if (first && first.matches("input")) {
        first.scrollIntoView({ block: "center" });
        first.focus({ preventScroll: true });
      } else {
        box.scrollIntoView({ block: "start" });
        box.focus({ preventScroll: true });
      }
      return;
    }
    if (!draft.finished_set) draft.finished_at = localInput(new Date());
    const photoIds = Object.keys(draft.photos).reduce(function (ids, key) { return ids.concat(draft.photos[key]); }, []).concat(draft.audit_photos);
    const labels = {};
    items().forEach(function (f) { labels[f.dataset.key] = question(f); });
    const entry = {
      id: draft.id, assignment: assignment, draft_key: draftKey, form_url: location.pathname,
      store: draft.store, store_name: draft.store_name, zone: zone || "", labels: labels, opens: form.dataset.opens || "",
      shopper: form.dataset.shopper, submission: submission(), photo_ids: photoIds, draft: draft,
      state: "waiting", attempts: 0, next_try: 0, error: "", problems: [], queued_at: Date.now(),
    };
    await saving;
    await store.queue(draftKey, entry);
    self.auditOutbox.changed();
    try { sessionStorage.setItem("audit-queued", draft.store_name); } catch (_) { /* private mode: no note */ }
    location.assign("/outbox");
  }

  /* ---- a visit whose window has not opened, where the store is ---- */

  function notYet() {
    const opens = form.dataset.opens;
    if (!opens || dates.today(zone) >= opens) return false;
    const note = $("[data-opens-note]");
    $("time", note).textContent = dates.day(opens);
    note.hidden = false;
    const said = $("[data-submit-note]");
    said.textContent = "This visit opens " + dates.day(opens) + ": it can be submitted from that day.";
    said.className = "opens-note";
    all("input, textarea").forEach(function (f) { f.disabled = true; }); // guidance still opens
    all("[data-comment-tool], [data-photo-tool]").forEach(function (b) { b.hidden = true; });
    $("[data-submit]").disabled = true;
    return true;
  }

  function wire() {
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
    form.addEventListener("click", function (event) {
      const tool = event.target.closest("button.tool");
      if (tool) { toggleTool(tool); return; }
      const target = event.target.closest("[data-goto]");
      if (target) go(target.dataset.goto, { scroll: true });
    });
    $("[data-step-now]").addEventListener("click", function () { sheet(); });
    $("[data-back]").addEventListener("click", function () { move(-1); });
    $("[data-next]").addEventListener("click", function () { move(1); });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") sheet(false); });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".stepper")) sheet(false);
    });
    form.addEventListener("submit", submit);
  }

  async function start() {
    const queued = (await store.outbox()).find(function (e) { return e.draft_key === draftKey; });
    if (queued) {
      const banner = $("[data-queued]");
      if (queued.state === "rejected") {
        $("[data-queued-text]").textContent = "The server did not accept this audit. It is kept on this phone:";
        $("a", banner).textContent = "see why and fix it";
      }
      banner.hidden = false;
      all("fieldset, .stepper, .stepbar, section, [data-opens-note]").forEach(function (e) { e.hidden = true; });
      form.dataset.ready = "true";
      return;
    }
    upcoming = notYet();
    if (upcoming) {
      draft = Object.assign(fresh(), { started_at: "" });
    } else {
      draft = (await store.getDraft(draftKey)) || null;
      if (!draft || draft.version !== form.dataset.version && !Object.keys(draft.answers).length) {
        draft = draft && draft.id ? Object.assign(fresh(), { id: draft.id, started_at: draft.started_at }) : fresh();
        await save();
      }
      draft.seen = draft.seen || {};
      if (draft.version !== form.dataset.version) {
        form.dataset.version = draft.version; // keep answering the version the draft began with
      }
    }
    restore();
    wire();
    const first = showProblems(draft.problems || []);
    const firstItem = first && first.matches("fieldset") ? first : null;
    if (firstItem) go(sectionOf(firstItem).dataset.section, { item: firstItem.dataset.key });
    else if (first) go(REVIEW, { item: "#" + first.id });
    else go(draft.step || null, { stay: true });
    form.dataset.ready = "true"; // the draft is on screen
  }

  start();
})();
