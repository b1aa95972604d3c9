/* The Download menu and a report job's live progress (templates/_download_menu.html, job.html).
   Without script the menu still opens and closes (<details>), and a job's page refreshes itself. */
(function () {
  "use strict";

  function menus() {
    const all = Array.prototype.slice.call(document.querySelectorAll("[data-download-menu]"));
    if (!all.length) return;
    document.addEventListener("click", function (event) {
      all.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
    });
    all.forEach(function (menu) {  // a link chosen (a download starts): the menu has done its work
      menu.addEventListener("click", function (event) {
        if (event.target.closest("a.dl-item")) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      all.forEach(function (menu) {
        if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
      });
    });
  }

  function progress() {
    const job = document.querySelector("[data-job]");
    if (!job || job.hasAttribute("data-finished")) return;
    const url = job.getAttribute("data-status");
    const bar = job.querySelector("progress");
    const text = job.querySelector("[data-job-text]");
    let delay = 700;
    async function poll() {
      let status;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        status = await response.json();
      } catch (error) {
        delay = Math.min(delay * 2, 8000);
        setTimeout(poll, delay);
        return;
      }
      delay = 700;
      if (bar) {
        if (status.state === "running" && status.total > 1) { bar.value = status.percent; } else if (status.state === "done") { bar.value = 100; } else { bar.removeAttribute("value"); }
      }
      if (text) text.textContent = status.text;
      if (status.state === "done" || status.state === "failed") {
        window.location.reload();
        return;
      }
      setTimeout(poll, delay);
    }
    setTimeout(poll, delay);
  }

  function start() { menus(); progress(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
