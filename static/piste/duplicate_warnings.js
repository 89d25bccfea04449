// Warnings while typing: as the user types the fields a duplicate shows in (email, phones, names,
// company, SIREN/SIRET, city), the form's [data-duplicate-warnings-url] region asks the server
// which records look alike (300 ms after the last key) and shows its answer. It never touches
// the form's submit: saving is never blocked. Without JavaScript nothing shows.
//
// The region's data attributes: data-duplicate-warnings-url (the endpoint, with ?exclude=<id>
// when editing), data-city-field (the name of the address's city field), data-enterprise-name
// (a contact's company, which its form has no field for).
"use strict";

(() => {
  const FIELDS = [
    "email", "fixed_phone", "mobile_phone", "first_name", "last_name", "enterprise_name",
    "name", "partner_type", "siren", "siret",
  ];
  const DELAY_MS = 300;

  function valueOf(form, name) {
    const field = form.elements.namedItem(name);
    if (!field) return "";
    // A RadioNodeList (the partner type's radios) has the checked one's value.
    return (field.value || "").trim();
  }

  function query(form, region) {
    const url = new URL(region.dataset.duplicateWarningsUrl, window.location.href);
    for (const name of FIELDS) {
      const value = valueOf(form, name);
      if (value) url.searchParams.set(name, value);
    }
    if (!url.searchParams.has("enterprise_name") && region.dataset.enterpriseName) {
      url.searchParams.set("enterprise_name", region.dataset.enterpriseName);
    }
    const city = valueOf(form, region.dataset.cityField || "address-city_name");
    if (city) url.searchParams.set("city", city);
    return url;
  }

  function setUp(region) {
    const form = region.closest("form");
    if (!form) return;
    const watched = new Set([...FIELDS, region.dataset.cityField || "address-city_name"]);
    let timer = null;
    let controller = null;
    let lastUrl = "";
    let shown = "";
    let dismissed = "";

    async function refresh() {
      const url = query(form, region);
      if (url.href === lastUrl) return;
      lastUrl = url.href;
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(url, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) return;
        const html = (await response.text()).trim();
        // A warning the user closed stays closed until it says something else.
        shown = html;
        region.innerHTML = html === dismissed ? "" : html;
      } catch (error) {
        // Aborted by a newer request, or offline: the warning is only a help.
      }
    }

    function schedule(event) {
      if (!event.target || !watched.has(event.target.name)) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    region.addEventListener("click", (event) => {
      if (event.target.closest("[data-duplicate-warnings-close]")) {
        dismissed = shown;
        region.innerHTML = "";
      }
    });
  }

  function setUpAll() {
    for (const region of document.querySelectorAll("[data-duplicate-warnings-url]")) {
      setUp(region);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
