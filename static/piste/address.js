// Address fields (templates/components/address_fields.html): the postal code and city inputs are
// ARIA comboboxes sharing one listbox of city suggestions from GET /geo/cities/suggest/.
// Typing (debounced) asks for suggestions; ArrowDown/ArrowUp move through them, Enter or Tab or a
// click chooses one, Escape closes the list. Choosing fills the postal code, the city, the hidden
// city id, the department and the country; typing in the city or postal code afterwards makes the
// city free text again (the hidden id is cleared). Loaded from a file: the CSP forbids inline script.
"use strict";

(() => {
  const DEBOUNCE_MS = 200;
  const MIN_LENGTH = 2;

  function setup(root) {
    if (root.dataset.addressReady) {
      return;
    }
    root.dataset.addressReady = "1";
    const postal = root.querySelector("[data-address-postal]");
    const cityName = root.querySelector("[data-address-city-name]");
    const cityId = root.querySelector("[data-address-city-id]");
    const department = root.querySelector("[data-address-department]");
    const country = root.querySelector("[data-address-country]");
    const listbox = root.querySelector("[data-address-listbox]");
    const status = root.querySelector("[data-address-status]");
    if (!postal || !cityName || !cityId || !listbox) {
      return;
    }
    const inputs = [postal, cityName];
    let results = [];
    let active = -1;
    let owner = null; // the input the open list belongs to
    let timer = null;
    let sequence = 0; // answers to older requests are ignored

    function say(message) {
      if (status) {
        status.textContent = message;
      }
    }

    function close() {
      listbox.hidden = true;
      active = -1;
      inputs.forEach((input) => {
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
      });
    }

    function highlight(index) {
      active = index;
      listbox.querySelectorAll("[role=option]").forEach((option, i) => {
        const selected = i === index;
        option.setAttribute("aria-selected", selected ? "true" : "false");
        option.classList.toggle("active", selected);
        if (selected) {
          owner.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
      if (index < 0 && owner) {
        owner.removeAttribute("aria-activedescendant");
      }
    }

    function option(result, index) {
      const item = document.createElement("li");
      item.id = `${listbox.id}-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = "list-group-item list-group-item-action py-1";
      item.dataset.index = String(index);
      if (result.postal_code) {
        const code = document.createElement("span");
        code.className = "fw-semibold me-2";
        code.textContent = result.postal_code;
        item.append(code);
      }
      item.append(document.createTextNode(result.name));
      const where = [
        [result.department_code, result.department].filter(Boolean).join(" "),
        result.country_code !== "FR" ? result.country : "",
      ].filter(Boolean);
      if (where.length) {
        const small = document.createElement("small");
        small.className = "ms-2 opacity-75";
        small.textContent = where.join(", ");
        item.append(small);
      }
      return item;
    }

    function show(input, found) {
      results = found;
      owner = input;
      listbox.replaceChildren(...found.map(option));
      if (!found.length) {
        close();
        say(root.dataset.msgNone || "");
        return;
      }
      listbox.hidden = false;
      inputs.forEach((other) => other.setAttribute("aria-expanded", "false"));
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
      say((root.dataset.msgResults || "").replace("{count}", String(found.length)));
    }

    async function suggest(input) {
      clearTimeout(timer);
      const current = ++sequence;
      const q = input.value.trim();
      if (q.replace(/\s+/g, "").length < MIN_LENGTH) {
        results = [];
        close();
        return;
      }
      const params = new URLSearchParams({ q });
      if (country && country.value) {
        params.set("country", country.value);
      }
      let found = [];
      try {
        const response = await fetch(`${root.dataset.suggestUrl}?${params}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) {
          return; // signed out, or the server failed: the fields stay plain text fields
        }
        found = (await response.json()).results || [];
      } catch {
        return; // offline: same
      }
      // Only the latest request counts, and only while its input still has the focus.
      if (current === sequence && document.activeElement === input) {
        show(input, found);
      }
    }

    // The user closed the list, chose, or left the field: an answer still on its way must not
    // reopen the list.
    function cancelPending() {
      clearTimeout(timer);
      sequence += 1;
    }

    function forgetCity() {
      cityId.value = "";
      if (department) {
        department.value = "";
      }
    }

    function choose(index) {
      const result = results[index];
      if (!result) {
        return;
      }
      postal.value = result.postal_code || "";
      cityName.value = result.name;
      cityId.value = String(result.city_id);
      if (department) {
        department.value = [result.department_code, result.department].filter(Boolean).join(" ");
      }
      if (country) {
        if (!Array.from(country.options).some((o) => o.value === result.country_code)) {
          country.add(new Option(result.country, result.country_code));
        }
        country.value = result.country_code;
      }
      cancelPending();
      results = [];
      close();
      say((root.dataset.msgChosen || "").replace("{city}", `${postal.value} ${cityName.value}`));
    }

    function onKeydown(event) {
      const input = event.currentTarget;
      const open = !listbox.hidden && owner === input && results.length > 0;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (open) {
            highlight(active + 1 >= results.length ? 0 : active + 1);
          } else if (owner === input && results.length) {
            show(input, results);
            highlight(0);
          } else {
            suggest(input);
          }
          break;
        case "ArrowUp":
          if (open) {
            event.preventDefault();
            highlight(active <= 0 ? results.length - 1 : active - 1);
          }
          break;
        case "Enter":
          if (open && active >= 0) {
            event.preventDefault(); // choose, do not submit the form
            choose(active);
          }
          break;
        case "Escape":
          cancelPending();
          if (open) {
            event.preventDefault();
            close();
          }
          break;
        case "Tab":
          if (open && active >= 0) {
            choose(active); // and let the focus move on
          } else {
            close();
          }
          break;
        default:
          break;
      }
    }

    inputs.forEach((input) => {
      input.addEventListener("input", () => {
        forgetCity();
        clearTimeout(timer);
        timer = setTimeout(() => suggest(input), DEBOUNCE_MS);
      });
      input.addEventListener("keydown", onKeydown);
      input.addEventListener("blur", () => {
        if (owner === input) {
          cancelPending();
          close();
        }
      });
    });
    if (country) {
      // Another country: the chosen city is no longer the address's.
      country.addEventListener("change", forgetCity);
    }
    // Keep the focus in the input while clicking an option, so blur does not close the list.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const item = event.target.closest("[role=option]");
      if (item) {
        choose(Number(item.dataset.index));
      }
    });
    listbox.addEventListener("mousemove", (event) => {
      const item = event.target.closest("[role=option]");
      if (item && Number(item.dataset.index) !== active) {
        highlight(Number(item.dataset.index));
      }
    });
  }

  function setupAll(container) {
    if (container.matches && container.matches("[data-address]")) {
      setup(container);
    }
    container.querySelectorAll("[data-address]").forEach(setup);
  }

  document.addEventListener("DOMContentLoaded", () => setupAll(document));
  // Address blocks that htmx brings in later.
  document.addEventListener("htmx:load", (event) => setupAll(event.target));
})();
