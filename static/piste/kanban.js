// Kanban boards: cards moved between columns by drag and drop (SortableJS) or by a small form on
// each card (the keyboard way), the server deciding every move. Nothing here knows what a card
// is: the opportunity kanban, the signature calendar (a day is a column) and the prospect and
// lead kanbans use the same markup contract.
//
// Markup
//   [data-kanban]                       a board
//     data-kanban-field="stage"          the posted field carrying the target column's value
//     data-kanban-csrf="<token>"         sent as the X-CSRFToken header
//     data-kanban-error="<text>"         shown when the server cannot be reached or answers
//                                        something else than JSON
//     data-kanban-readonly               (optional) no drag and drop on this board
//     [data-kanban-status]               (inside, optional) where messages show (role="status")
//     [data-kanban-column="<value>"]     a drop zone; its [data-kanban-card] children are cards
//                                        (anything else in it, a "more" sentinel, stays put)
//     [data-kanban-figures="<value>"]    (optional) a column's figures, replaced after a move
//     [data-kanban-card]                 a card
//         data-kanban-move-url="<url>"   where a move of this card posts
//         [data-kanban-handle]           (optional, inside) the drag handle; else the whole card
//       form[data-kanban-move]           (optional, inside) the keyboard way: a plain form (its
//                                        action is the move URL, its field named as the board's
//                                        field holds the target value); submitted, it is sent
//                                        like a drop. Without JavaScript it posts as any form.
//
// Request: POST to the card's move URL (the form's action for a form) with the fields
//   <field>=<target column value>, from=<the column the card left>, query=<the page's query
//   string, without "?">, next=<the page's path and query>, and the form's own fields;
//   headers Accept: application/json, X-CSRFToken.
// Answer (JSON, any status):
//   {"ok": true, "card": html?, "figures": {value: html}?, "message": text?}
//       the card stays in its new column (replaced by "card" when given; a form's card moves to
//       the target column, or leaves the page when that column is not shown); each
//       [data-kanban-figures=value] gets its html;
//   {"ok": false, "error": text}  the card goes back where it was and the text is shown;
//   {"redirect": url}             the card goes back and the browser opens url (a dialog the
//                                 move needs first, such as winning or losing).
// Events on the board: "kanban:moved" (detail: {card, from, to}) after an accepted move,
// "kanban:refused" (detail: {card, error}) after a refusal.
"use strict";

(function () {
  const CARD = "[data-kanban-card]";
  const BUSY = "kanban-busy";

  function statusOf(board) {
    return board.querySelector("[data-kanban-status]");
  }

  function say(board, text, kind) {
    const status = statusOf(board);
    if (!status || !text) {
      return;
    }
    status.className = `alert alert-${kind} py-2 mb-2`;
    status.textContent = text;
    status.hidden = false;
  }

  function fromHtml(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function columnOf(board, value) {
    return Array.from(board.querySelectorAll("[data-kanban-column]")).find(
      (column) => column.dataset.kanbanColumn === value,
    );
  }

  // Puts a card back where it was before the drag (its old column, before its old neighbour).
  function putBack(card, origin) {
    if (!origin) {
      return;
    }
    if (origin.next && origin.next.parentNode === origin.column) {
      origin.column.insertBefore(card, origin.next);
    } else {
      const sentinel = Array.from(origin.column.children).find((el) => !el.matches(CARD));
      origin.column.insertBefore(card, sentinel || null);
    }
  }

  function applyFigures(board, figures) {
    Object.entries(figures || {}).forEach(([value, html]) => {
      board.querySelectorAll("[data-kanban-figures]").forEach((el) => {
        if (el.dataset.kanbanFigures === value) {
          el.innerHTML = html;
        }
      });
    });
  }

  // Sends one move; resolves to the card now on the page (or null when it left the page).
  async function send(board, card, url, fields, origin, target) {
    const body = new FormData();
    Object.entries(fields).forEach(([name, value]) => {
      if (value instanceof Array) {
        value.forEach((v) => body.append(name, v));
      } else {
        body.set(name, value);
      }
    });
    body.set("query", window.location.search.replace(/^\?/, ""));
    body.set("next", window.location.pathname + window.location.search);
    card.classList.add(BUSY);
    card.setAttribute("aria-busy", "true");
    let answer = null;
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": board.dataset.kanbanCsrf || "" },
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) {
        answer = await response.json();
      }
    } catch (error) {
      answer = null;
    }
    card.classList.remove(BUSY);
    card.removeAttribute("aria-busy");
    if (answer && answer.redirect) {
      putBack(card, origin);
      window.location.assign(answer.redirect);
      return card;
    }
    if (!answer || !answer.ok) {
      const error = (answer && answer.error) || board.dataset.kanbanError || "";
      putBack(card, origin);
      card.classList.add("kanban-refused");
      window.setTimeout(() => card.classList.remove("kanban-refused"), 2000);
      say(board, error, "danger");
      board.dispatchEvent(new CustomEvent("kanban:refused", { detail: { card, error } }));
      return card;
    }
    let shown = card;
    if (target === undefined) {
      // A form: the card goes to its target column, or leaves the page if it is not shown.
      const column = columnOf(board, fields[board.dataset.kanbanField]);
      if (column) {
        column.insertBefore(card, column.firstElementChild);
      } else {
        card.remove();
        shown = null;
      }
    }
    if (shown && answer.card) {
      const fresh = fromHtml(answer.card);
      if (fresh) {
        shown.replaceWith(fresh);
        shown = fresh;
        if (window.htmx) {
          window.htmx.process(fresh);
        }
      }
    }
    applyFigures(board, answer.figures);
    say(board, answer.message, "success");
    board.dispatchEvent(
      new CustomEvent("kanban:moved", {
        detail: { card: shown, from: origin && origin.column, to: target || null },
      }),
    );
    return shown;
  }

  function initBoard(board) {
    if (board.dataset.kanbanReady) {
      return;
    }
    board.dataset.kanbanReady = "1";
    if (board.hasAttribute("data-kanban-readonly") || typeof Sortable === "undefined") {
      return;
    }
    const field = board.dataset.kanbanField;
    const group = `kanban-${Math.random().toString(36).slice(2)}`;
    board.querySelectorAll("[data-kanban-column]").forEach((column) => {
      const options = {
        group,
        draggable: CARD,
        // Pointer events rather than the browser's drag and drop: the same on every browser,
        // touch screens included.
        forceFallback: true,
        fallbackOnBody: true,
        // A click that trembles a pixel or two still opens the card's link.
        fallbackTolerance: 4,
        animation: 150,
        ghostClass: "kanban-ghost",
        chosenClass: "kanban-chosen",
        // Forms, links and buttons inside a card keep working; a card being saved stays put.
        filter: `.${BUSY}, input, select, textarea, button, summary, label`,
        preventOnFilter: false,
        onStart: (event) => {
          event.item.kanbanOrigin = { column: event.from, next: event.item.nextElementSibling };
        },
        onEnd: (event) => {
          const origin = event.item.kanbanOrigin;
          delete event.item.kanbanOrigin;
          if (event.from === event.to) {
            return; // the order inside a column is the server's (newest first)
          }
          const fields = {
            [field]: event.to.dataset.kanbanColumn,
            from: event.from.dataset.kanbanColumn,
          };
          send(board, event.item, event.item.dataset.kanbanMoveUrl, fields, origin, event.to);
        },
      };
      if (column.querySelector("[data-kanban-handle]")) {
        options.handle = "[data-kanban-handle]";
      }
      Sortable.create(column, options);
    });
  }

  function initBoards(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    if (root.matches && root.matches("[data-kanban]")) {
      initBoard(root);
    }
    root.querySelectorAll("[data-kanban]").forEach(initBoard);
  }

  // The keyboard way: a card's move form is sent like a drop.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-kanban-move]");
    const board = form && form.closest("[data-kanban]");
    const card = form && form.closest(CARD);
    if (!board || !card || !window.fetch) {
      return;
    }
    event.preventDefault();
    const fields = {};
    new FormData(form).forEach((value, name) => {
      fields[name] = value;
    });
    const column = card.closest("[data-kanban-column]");
    if (column && !("from" in fields)) {
      fields.from = column.dataset.kanbanColumn;
    }
    send(board, card, form.action, fields, null, undefined).then((shown) => {
      const focus = shown && shown.querySelector("a, button, [tabindex]");
      if (focus) {
        focus.focus();
      }
    });
  });

  document.addEventListener("DOMContentLoaded", () => initBoards(document));
  // A board swapped in by HTMX (the filter bar) gets its drag and drop again.
  document.addEventListener("htmx:load", (event) => initBoards(event.target));
})();
