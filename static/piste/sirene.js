// The SIRENE lookup's preview (templates/partners/sirene_preview.html#preview), shown in the
// partner form by the lookup button (hx-post). "Apply" writes the new values it carries
// (data-sirene-values: JSON, input name -> value) into the form's inputs by name, then hides the
// preview; "Cancel" or the close button hides it. Nothing is saved: the user saves the form.
// Address inputs are written without input/change events: address.js would take them for typing
// and forget the chosen city. Loaded from a file: the CSP forbids inline script.
"use strict";

(() => {
  // The form the preview belongs to: the one around it, else the one holding the SIRET field.
  function formOf(element) {
    const around = element.closest("form");
    if (around) {
      return around;
    }
    const siret = document.querySelector("form [name='siret']");
    return siret ? siret.form : null;
  }

  function setValue(field, value, quiet) {
    if (field instanceof HTMLSelectElement) {
      if (!Array.from(field.options).some((option) => option.value === value)) {
        return false; // not offered by this form: leave the choice to the user
      }
    }
    field.value = value;
    if (!quiet) {
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return true;
  }

  function apply(button) {
    const form = formOf(button);
    if (!form) {
      return;
    }
    let values = {};
    try {
      values = JSON.parse(button.dataset.sireneValues || "{}");
    } catch {
      return;
    }
    let first = null;
    Object.entries(values).forEach(([name, value]) => {
      const field = form.elements.namedItem(name);
      if (!field || field instanceof RadioNodeList) {
        return;
      }
      const quiet = name.startsWith("main_address-");
      if (setValue(field, String(value), quiet) && !first && field.type !== "hidden") {
        first = field;
      }
    });
    if ("main_address-city_name" in values) {
      const cityName = form.elements.namedItem("main_address-city_name");
      const block = cityName && cityName.closest ? cityName.closest("[data-address]") : null;
      const department = block ? block.querySelector("[data-address-department]") : null;
      if (department) {
        department.value = button.dataset.sireneDepartment || "";
      }
    }
    hide(button);
    if (first) {
      first.focus();
    }
  }

  function hide(element) {
    const preview = element.closest("[data-sirene-preview]");
    if (preview) {
      preview.remove();
    }
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    const applyButton = target.closest("[data-sirene-apply]");
    if (applyButton) {
      event.preventDefault();
      apply(applyButton);
      return;
    }
    const dismiss = target.closest("[data-sirene-dismiss]");
    if (dismiss) {
      event.preventDefault();
      const form = formOf(dismiss);
      hide(dismiss);
      const siret = form ? form.elements.namedItem("siret") : null;
      if (siret && siret.focus) {
        siret.focus(); // the focus was on the removed button: back to where the lookup started
      }
    }
  });
})();
