// Small conveniences for the owners' pages; every form works without them.
// Loaded as a module from a file (the CSP allows no inline script).

// "Copy" beside a one-time link.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  });
}

// "select all" per region when planning visits, and a count of the stores chosen.
const count = document.querySelector("[data-count]");
const boxes = () => [...document.querySelectorAll('input[name="stores"]')];
function showCount() {
  if (!count) return;
  const n = boxes().filter((b) => b.checked).length;
  count.textContent = n ? `(${n} chosen)` : "";
}
for (const button of document.querySelectorAll("button[data-select-all]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const mine = boxes().filter((b) => b.dataset.region === button.dataset.selectAll);
    const all = mine.every((b) => b.checked);
    for (const box of mine) box.checked = !all;
    showCount();
  });
}
for (const box of boxes()) box.addEventListener("change", showCount);
showCount();
