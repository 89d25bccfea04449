// Signature calendar: the date popovers of the cards (a <details> holding the card's date form,
// sent by kanban.js like a drop). One popover open at a time; opening one puts the focus in its
// date field; Escape closes it and gives the focus back to its toggle.
"use strict";

(function () {
  const POPOVER = "[data-kanban-card] details";

  document.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (!(details instanceof HTMLDetailsElement) || !details.matches(POPOVER) || !details.open) {
        return;
      }
      document.querySelectorAll(`${POPOVER}[open]`).forEach((other) => {
        if (other !== details) {
          other.open = false;
        }
      });
      const field = details.querySelector("input[type=date]");
      if (field) {
        field.focus();
      }
    },
    true, // "toggle" does not bubble
  );

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") {
      return;
    }
    const details = event.target.closest && event.target.closest(`${POPOVER}[open]`);
    if (details) {
      details.open = false;
      details.querySelector("summary").focus();
    }
  });
})();
