// Drag and drop ordering of a list (SortableJS), saved by the list's own form.
//
// Markup: a container with `data-sortable` holding `[data-sortable-item]` rows, each dragged by
// its `.sortable-handle`. When a row lands at a new place the container receives a
// "reordered" event; the page's form posts on it (hx-trigger="reordered") the rows' hidden
// inputs, which are now in the new order. Without JavaScript the rows' "move up"/"move down"
// buttons do the same through a plain form submission.
"use strict";

function initSortables(root) {
  if (typeof Sortable === "undefined" || !root.querySelectorAll) {
    return;
  }
  const lists = Array.from(root.querySelectorAll("[data-sortable]"));
  if (root.matches && root.matches("[data-sortable]")) {
    lists.push(root);
  }
  lists.forEach((list) => {
    if (list.dataset.sortableReady) {
      return;
    }
    list.dataset.sortableReady = "1";
    // No inline style in the markup (CSP): the grab cursor is set from here.
    list.querySelectorAll(".sortable-handle").forEach((handle) => {
      handle.style.cursor = "grab";
    });
    Sortable.create(list, {
      handle: ".sortable-handle",
      draggable: "[data-sortable-item]",
      animation: 150,
      ghostClass: "opacity-50",
      onEnd: (event) => {
        if (event.oldIndex !== event.newIndex) {
          list.dispatchEvent(new CustomEvent("reordered", { bubbles: true }));
        }
      },
    });
  });
}

document.addEventListener("DOMContentLoaded", () => initSortables(document));
// Rows swapped in by HTMX (the list after a save) get their drag and drop again.
document.addEventListener("htmx:load", (event) => initSortables(event.target));
