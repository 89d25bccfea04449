// Email pages: the body's rich-text editor (Trix) and, on the compose page, choosing a template
// or a language fills the subject and body at once (the "Use this template" button, which
// works without JavaScript too). Loaded from a file: the Content-Security-Policy forbids inline
// script. The server sanitises and checks everything again.
"use strict";

(() => {
  function initRichText(root) {
    root.querySelectorAll("textarea[data-rich-text]").forEach((area) => {
      if (area.dataset.richTextReady) return;
      area.dataset.richTextReady = "1";
      const editor = document.createElement("trix-editor");
      editor.setAttribute("input", area.id);
      editor.classList.add("form-control", "trix-content");
      const label = document.querySelector(`label[for="${area.id}"]`);
      if (label) editor.setAttribute("aria-label", label.textContent.trim());
      area.hidden = true;
      area.after(editor);
    });
  }

  // No pictures or files in the body: attachments have their own field.
  document.addEventListener("trix-file-accept", (event) => event.preventDefault());

  function initTemplateChoice(root) {
    root.querySelectorAll("[data-apply-template]").forEach((select) => {
      if (select.dataset.applyReady) return;
      select.dataset.applyReady = "1";
      select.addEventListener("change", () => {
        const form = select.form;
        const button = form && form.querySelector("button[name=apply]");
        if (!button) return;
        if (select.name === "language") {
          // Another language: its default template (the server picks it).
          const template = form.querySelector("select[name=template]");
          if (template) template.value = "";
          button.value = "language";
        } else {
          button.value = "template";
        }
        form.requestSubmit(button);
      });
    });
  }

  function init() {
    initTemplateChoice(document);
    // Trix defines its editor element when it is ready, possibly after this script ran.
    if (window.customElements) {
      window.customElements.whenDefined("trix-editor").then(() => initRichText(document));
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
