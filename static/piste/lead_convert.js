// The conversion wizard: show the sections that belong to the chosen radios
// (data-convert-when="name=value"), and let a submit go once (a double click posts once; the
// server is idempotent anyway). Without JavaScript every section shows.
"use strict";

(() => {
  function refresh(form) {
    for (const section of form.querySelectorAll("[data-convert-when]")) {
      const [name, value] = section.dataset.convertWhen.split("=");
      const checked = form.querySelector(`input[name="${name}"]:checked`);
      section.hidden = !checked || checked.value !== value;
    }
  }

  function setUp() {
    for (const form of document.querySelectorAll("[data-convert-form]")) {
      refresh(form);
      form.addEventListener("change", () => refresh(form));
      form.addEventListener("submit", () => {
        for (const button of form.querySelectorAll("[data-submit-once]")) {
          // After this event, so that the button's own value still posts.
          setTimeout(() => { button.disabled = true; }, 0);
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
