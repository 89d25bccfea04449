// The lead kanban, besides static/piste/kanban.js: a folded column (a status configured so)
// shows its name and count only; a click on its name unfolds it for this page view (nothing is
// saved) and its "More" link, hidden while folded, then comes into view and loads its cards.
// A card sent back after a move gets its tag colours (app.js paints those HTMX swaps in).
"use strict";

(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-lead-kanban-fold]");
    const column = button && button.closest(".kanban-column");
    if (!column) {
      return;
    }
    const folded = column.classList.toggle("is-folded");
    button.setAttribute("aria-expanded", folded ? "false" : "true");
  });

  // A card dropped on a folded column is there already when its cards load on unfolding: the
  // loaded copy goes.
  document.addEventListener("htmx:afterSwap", (event) => {
    const column = event.target.closest && event.target.closest("[data-kanban-column]");
    if (!column) {
      return;
    }
    const seen = new Set();
    column.querySelectorAll("[data-kanban-card]").forEach((card) => {
      if (seen.has(card.dataset.id)) {
        card.remove();
      }
      seen.add(card.dataset.id);
    });
  });

  // kanban.js dispatches "kanban:moved" on the board without bubbling: listened to on the way
  // down.
  document.addEventListener(
    "kanban:moved",
    (event) => {
      const card = event.detail && event.detail.card;
      if (!card) {
        return;
      }
      card.querySelectorAll("[data-color]").forEach((el) => {
        el.style.backgroundColor = el.dataset.color;
      });
    },
    true,
  );
})();
