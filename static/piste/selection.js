// Piste: row selection of the lead lists and their bulk toolbar.
// Checkboxes name="ids" (form="bulk-form") select rows; Shift-click selects a range; the header
// checkbox selects the page; when the whole page is selected and the list has other pages, a
// banner asks the server how many leads match and offers to select them all (all=1: the server
// recomputes them from the list's filters).
"use strict";

(() => {
  let lastClicked = null;
  let allMatching = false;

  const rowBoxes = () => Array.from(document.querySelectorAll("input[data-select-row]"));
  const bulkForm = () => document.querySelector("form[data-bulk-form]");

  function setAllMatching(value) {
    allMatching = value;
    const form = bulkForm();
    const input = form && form.querySelector("[data-bulk-all]");
    if (input) input.value = value ? "1" : "";
    document.querySelectorAll("#select-all-banner [data-banner-state]").forEach((el) => {
      el.hidden = el.dataset.bannerState !== (value ? "all" : "page");
    });
  }

  function loadCount(banner) {
    const target = banner.querySelector("#matching-count");
    if (!target || banner.dataset.loaded) return;
    banner.dataset.loaded = "1";
    // Asked only now: a bounded count, but still a query the plain list does not need.
    window.htmx.ajax("GET", banner.dataset.countUrl, { target: "#matching-count", swap: "innerHTML" });
  }

  function update() {
    const boxes = rowBoxes();
    const checked = boxes.filter((box) => box.checked).length;
    const whole = boxes.length > 0 && checked === boxes.length;
    if (!whole && allMatching) setAllMatching(false);

    const pageBox = document.querySelector("input[data-select-page]");
    if (pageBox) {
      pageBox.checked = whole;
      pageBox.indeterminate = checked > 0 && !whole;
    }
    const banner = document.getElementById("select-all-banner");
    if (banner) {
      banner.hidden = !whole;
      if (whole) loadCount(banner);
    }
    const counter = document.querySelector("[data-selection-count]");
    if (counter) {
      let text = counter.dataset.none;
      if (allMatching) text = counter.dataset.all;
      else if (checked === 1) text = counter.dataset.one;
      else if (checked > 1) text = counter.dataset.many.replace("__count__", String(checked));
      counter.textContent = text;
    }
    document.querySelectorAll("form[data-bulk-form] [data-needs-selection]").forEach((el) => {
      el.disabled = checked === 0;
    });
  }

  document.addEventListener("click", (event) => {
    const box = event.target.closest("input[data-select-row]");
    if (box) {
      const boxes = rowBoxes();
      if (event.shiftKey && lastClicked && boxes.includes(lastClicked) && lastClicked !== box) {
        const [from, to] = [boxes.indexOf(lastClicked), boxes.indexOf(box)].sort((a, b) => a - b);
        boxes.slice(from, to + 1).forEach((b) => {
          b.checked = box.checked;
        });
      }
      lastClicked = box;
      update();
      return;
    }
    if (event.target.closest("[data-select-all-matching]")) {
      setAllMatching(true);
      update();
      return;
    }
    if (event.target.closest("[data-clear-selection]")) {
      rowBoxes().forEach((b) => {
        b.checked = false;
      });
      setAllMatching(false);
      update();
    }
  });

  document.addEventListener("change", (event) => {
    const pageBox = event.target.closest("input[data-select-page]");
    if (pageBox) {
      rowBoxes().forEach((b) => {
        b.checked = pageBox.checked;
      });
      update();
    } else if (event.target.closest("input[data-select-row]")) {
      update(); // keyboard toggles (Space) come without a click
    }
  });

  // Only the delete button asks for confirmation: app.js confirms forms carrying data-confirm,
  // so the form gets the pressed button's question just before app.js sees the submit.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target.closest("form[data-bulk-form]");
      if (!form) return;
      const question = event.submitter && event.submitter.dataset.confirm;
      if (question) form.dataset.confirm = question;
      else delete form.dataset.confirm;
    },
    true,
  );

  // New rows (filters, sort, pages): a new selection. A swapped single row keeps the others.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id === "rows") {
      lastClicked = null;
      setAllMatching(false);
    }
    if (event.target.id === "matching-count") {
      setAllMatching(allMatching);
      return;
    }
    update();
  });

  // Filters left empty stay out of the request, hence out of the pushed URL.
  document.addEventListener("htmx:configRequest", (event) => {
    const data = event.detail.formData;
    if (!data || !event.target.closest || !event.target.closest("#filters")) return;
    Array.from(new Set(data.keys())).forEach((key) => {
      const values = data.getAll(key).filter((value) => value !== "");
      data.delete(key);
      values.forEach((value) => data.append(key, value));
    });
  });

  document.addEventListener("DOMContentLoaded", () => {
    // Back/forward may restore checked boxes: start from what the page shows.
    setAllMatching(false);
    update();
  });
})();
