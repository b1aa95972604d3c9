// On a phone the period filter folds into its one-line summary ("Last 90 days · Customer
// service visit ▾"): the numbers come first, the form is a tap away.
"use strict";
(function () {
  if (!window.matchMedia("(max-width: 600px)").matches) return;
  for (const picker of document.querySelectorAll("details.period-picker")) {
    if (!picker.querySelector("[aria-invalid=true]")) picker.open = false;
  }
})();
