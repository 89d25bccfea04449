// Import wizard: a second click on « Start the import » (or « Undo ») while the page is
// submitting would only get "already started": the form ignores it and shows it is working.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-import-once]");
  if (!form || event.defaultPrevented) {
    return;
  }
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  form.setAttribute("aria-busy", "true");
});

// Back from the browser's page cache, the form may be submitted again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("[data-import-once]").forEach((form) => {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
  });
});
