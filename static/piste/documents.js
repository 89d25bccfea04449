// Documents tab (« Déposer un document ») and print dialog of record pages.
// - Files chosen in the drop zone's input, or dropped on the zone, the Documents pane or the
//   Documents tab button, are sent by the zone's form (htmx, multipart); the answer replaces the
//   region (list and errors). Without JavaScript the form's Add button posts the same.
// - "documents-changed" (sent by a print attached to the record) reloads the region.
// - The print dialog's Cancel empties #record-dialog instead of leaving the page.
// Loaded by the documents region itself (htmx runs its script tag): run once per page.
(function () {
  "use strict";
  if (window.pisteDocuments) return;
  window.pisteDocuments = true;

  var pending = null; // files dropped on the tab button before the pane was loaded

  function region() {
    return document.querySelector("[data-documents-region]");
  }

  function send(files) {
    var zone = region();
    var form = zone && zone.querySelector("form[data-documents-form]");
    var input = form && form.querySelector("input[data-documents-input]");
    if (!input || !files || !files.length) return false;
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(files, function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    form.requestSubmit();
    return true;
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  function target(event) {
    return event.target.closest && event.target.closest(
      "[data-drop-zone], [data-documents-region], #pane-documents, #tab-documents");
  }

  function highlight(on) {
    var zone = document.querySelector("[data-drop-zone]");
    if (!zone) return;
    zone.classList.toggle("border-primary", on);
    zone.classList.toggle("bg-primary-subtle", on);
  }

  function showTab() {
    var button = document.getElementById("tab-documents");
    if (button && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(button).show();
  }

  document.addEventListener("dragover", function (event) {
    var over = target(event);
    if (!over || !hasFiles(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "copy";
    if (over.id === "tab-documents") showTab();
    highlight(true);
  });
  document.addEventListener("dragleave", function (event) {
    if (target(event)) highlight(false);
  });
  document.addEventListener("drop", function (event) {
    var over = target(event);
    if (!over || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault(); // the browser would open the file instead
    highlight(false);
    if (!send(event.dataTransfer.files)) {
      pending = event.dataTransfer.files;
      showTab();
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target.closest && event.target.closest("input[data-documents-input]");
    if (input && input.files.length) input.form.requestSubmit();
  });

  function prepare() {
    document.querySelectorAll("[data-documents-submit]").forEach(function (button) {
      button.classList.add("d-none"); // choosing or dropping files sends them
    });
    if (pending && send(pending)) pending = null;
  }
  document.addEventListener("htmx:afterSettle", prepare);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", prepare);
  } else {
    prepare();
  }

  document.body.addEventListener("documents-changed", function () {
    var zone = region();
    if (zone && window.htmx) {
      window.htmx.ajax("GET", zone.getAttribute("data-url"), { target: zone, swap: "outerHTML" });
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-dialog-close]");
    var dialog = link && link.closest("#record-dialog");
    if (!dialog || !document.querySelector("[data-record-page], #record-dialog")) return;
    // On a record page the dialog closes in place; the print page itself follows the link.
    if (document.querySelector("[data-testid='record-actions'], [data-testid='event-buttons']")) {
      event.preventDefault();
      dialog.innerHTML = "";
    }
  });
})();
