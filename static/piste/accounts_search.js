// Accounts & contacts: the search box's real-time suggestions (a combobox and its listbox).
// htmx fetches #suggestions as the user types; this file moves through the options with the arrow
// keys, opens the chosen record with Enter (or lets Enter submit the full result list when no
// option is chosen), and closes the list with Escape or a click elsewhere.
"use strict";

(() => {
  function setup(form) {
    const input = form.querySelector("[role=combobox]");
    if (!input) return;
    let active = -1;

    const list = () => document.getElementById("suggestions");
    const options = () => Array.from((list() || document).querySelectorAll("[role=option]"));

    function show(open) {
      const box = list();
      if (!box) return;
      const visible = open && input.value.trim() !== "" && box.children.length > 0;
      box.hidden = !visible;
      input.setAttribute("aria-expanded", visible ? "true" : "false");
      if (!visible) choose(-1);
    }

    function choose(index) {
      const all = options();
      all.forEach((option, i) => {
        option.classList.toggle("active", i === index);
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index >= 0 && index < all.length ? index : -1;
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", all[active].id);
        all[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    input.addEventListener("keydown", (event) => {
      const all = options();
      const open = input.getAttribute("aria-expanded") === "true";
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length) return;
        event.preventDefault();
        if (!open) show(true);
        const step = event.key === "ArrowDown" ? 1 : -1;
        choose((active + step + all.length) % all.length);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.assign(all[active].href);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        show(false);
      }
    });

    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target && event.detail.target.id === "suggestions") {
        active = -1;
        show(document.activeElement === input);
      } else if (list() && list().id === "suggestions") {
        show(false);
      }
    });
    input.addEventListener("focus", () => show(true));
    document.addEventListener("click", (event) => {
      if (!form.contains(event.target)) show(false);
    });
    input.addEventListener("input", () => {
      if (input.value.trim() === "") show(false);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-account-search]").forEach(setup);
  });
})();
