// Piste: small behaviours loaded from a file (the Content-Security-Policy forbids inline script).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Tag colours come from data attributes: no inline style, so the CSP holds.
function paintTags(root) {
  root.querySelectorAll("[data-color]").forEach((el) => {
    el.style.backgroundColor = el.dataset.color;
  });
}
document.addEventListener("DOMContentLoaded", () => paintTags(document));
document.addEventListener("htmx:afterSwap", (event) => paintTags(event.target));
