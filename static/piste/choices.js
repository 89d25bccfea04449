// Pickers over referentials too large for a select (tags, parent companies; see `searchable` in
// piste/core/forms.py). The select holds the chosen rows and a few more; a search box above it
// asks the server (data-choices-url, JSON) for the rows matching the typed letters and offers
// them in place of the unchosen options. Chosen options always stay. Without JavaScript the
// select works as it is.
"use strict";

(() => {
  const DELAY_MS = 200;

  function enhance(select) {
    if (select.dataset.choicesReady) {
      return;
    }
    select.dataset.choicesReady = "1";
    const box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = select.dataset.choicesSearch || "";
    box.autocomplete = "off";
    box.setAttribute("aria-controls", select.id);
    box.setAttribute("aria-label", select.dataset.choicesSearch || "");
    box.setAttribute("data-testid", `choices-search-${select.name}`);
    const status = document.createElement("div");
    status.className = "form-text";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    select.before(box);
    select.after(status);

    let timer = null;
    let pending = null;

    function show(results) {
      for (const option of Array.from(select.options)) {
        if (!option.selected && option.value !== "") {
          option.remove();
        }
      }
      const present = new Set(Array.from(select.options, (option) => option.value));
      for (const row of results) {
        const value = String(row.id);
        if (!present.has(value)) {
          select.add(new Option(row.text, value));
        }
      }
      status.textContent = results.length ? "" : select.dataset.choicesNone || "";
    }

    function search() {
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      const url = new URL(select.dataset.choicesUrl, window.location.href);
      url.searchParams.set("q", box.value.trim());
      fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      })
        .then((response) => (response.ok ? response.json() : Promise.reject(response)))
        .then((data) => show(data.results || []))
        .catch((error) => {
          if (error.name !== "AbortError") {
            status.textContent = select.dataset.choicesError || "";
          }
        });
    }

    box.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        // Enter would submit the record's form: it searches now instead.
        event.preventDefault();
        window.clearTimeout(timer);
        search();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function init(root) {
    root.querySelectorAll("select[data-choices-url]").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
