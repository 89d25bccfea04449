// Lead pages: the description's rich-text editor (Trix) with picture uploads, the "+" that creates
// a job title, the star rating, and the lost reason's comment field. Loaded from a file: the
// Content-Security-Policy forbids inline script. Every behaviour enhances a form that already
// works without JavaScript; the server validates everything again.
"use strict";

(() => {
  const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
  const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

  // Elements matching `selector` in `root`, `root` included (htmx:load gives the new element).
  function within(root, selector) {
    const found = Array.from(root.querySelectorAll ? root.querySelectorAll(selector) : []);
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  function csrfToken(form) {
    const input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Rich text ----------------------------------------------------------------------------------

  // The textarea stays the form field (and what a browser without JavaScript shows); Trix edits
  // its value. The server sanitises whatever arrives.
  function initRichText(root) {
    if (!window.customElements || !window.customElements.get("trix-editor")) return;
    within(root, "textarea[data-rich-text]").forEach((area) => {
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

  function uploadMessage(editor, text, isError) {
    const box = editor.parentElement.querySelector("[data-upload-message]");
    if (!box) return;
    box.textContent = text || "";
    box.classList.toggle("text-danger", Boolean(isError));
    box.hidden = !text;
  }

  if (window.Trix && window.Trix.config && window.Trix.config.attachments) {
    // Pictures only, without the file name and size Trix writes under them by default.
    window.Trix.config.attachments.preview.caption = { name: false, size: false };
  }

  // A picture is uploaded first and put in the text once stored, by its /uploads/ address:
  // Trix's own way previews the file from a blob: address, which the Content-Security-Policy
  // (img-src 'self' data:) refuses.
  function uploadPicture(editor, file) {
    const form = editor.closest("form");
    const url = form && form.dataset.uploadUrl;
    if (!url) return;
    uploadMessage(editor, form.dataset.uploadProgress, false);
    const body = new FormData();
    body.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken(form));
    request.setRequestHeader("Accept", "application/json");
    const failed = (message) => uploadMessage(editor, message || form.dataset.uploadError, true);
    request.addEventListener("load", () => {
      let answer = {};
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = {};
      }
      if (request.status >= 200 && request.status < 300 && answer.url) {
        uploadMessage(editor, "");
        editor.editor.insertAttachment(
          new window.Trix.Attachment({ url: answer.url, contentType: file.type || "image/png" }),
        );
      } else {
        failed(answer.error);
      }
    });
    request.addEventListener("error", () => failed());
    request.send(body);
  }

  document.addEventListener("trix-file-accept", (event) => {
    // Trix never keeps the file itself: valid pictures are uploaded, the rest refused.
    event.preventDefault();
    const file = event.file;
    const form = event.target.closest("form");
    if (!file || IMAGE_TYPES.indexOf(file.type) === -1 || file.size > MAX_IMAGE_BYTES) {
      uploadMessage(event.target, form && form.dataset.uploadError, true);
      return;
    }
    uploadPicture(event.target, file);
  });

  document.addEventListener("trix-attachment-add", (event) => {
    // Files reach the text only through trix-file-accept above.
    if (event.attachment.file) event.attachment.remove();
  });

  // Job title "+" ----------------------------------------------------------------------------

  function jobTitleBox(element) {
    return element.closest("[data-field=job_title]");
  }

  function jobTitleToggle(field, open) {
    const add = field.querySelector("[data-job-title-add]");
    const box = field.querySelector("[data-job-title-new]");
    const error = field.querySelector("[data-job-title-error]");
    box.hidden = !open;
    add.setAttribute("aria-expanded", String(open));
    error.hidden = true;
    if (open) {
      box.querySelector("[data-job-title-name]").focus();
    } else {
      add.focus();
    }
  }

  async function jobTitleSave(field) {
    const box = field.querySelector("[data-job-title-new]");
    const input = box.querySelector("[data-job-title-name]");
    const error = field.querySelector("[data-job-title-error]");
    const status = field.querySelector("[data-job-title-status]");
    const name = input.value.trim();
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
      input.focus();
    };
    if (!name) {
      fail(box.dataset.msgEmpty);
      return;
    }
    let response;
    let answer = {};
    try {
      response = await fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(field.closest("form")), Accept: "application/json" },
        body: new URLSearchParams({ name }),
      });
      answer = await response.json();
    } catch (exception) {
      fail(box.dataset.msgFailed);
      return;
    }
    if (!response.ok || !answer.id) {
      const messages = answer.errors && answer.errors.name;
      fail((messages && messages[0]) || box.dataset.msgFailed);
      return;
    }
    const select = document.getElementById(box.dataset.select);
    const value = String(answer.id);
    let option = Array.from(select.options).find((o) => o.value === value);
    if (!option) {
      option = new Option(answer.name, value);
      select.add(option);
    }
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = "";
    box.hidden = true;
    error.hidden = true;
    field.querySelector("[data-job-title-add]").setAttribute("aria-expanded", "false");
    status.textContent = box.dataset.msgDone.replace("{name}", answer.name);
    select.focus();
  }

  function initJobTitle(root) {
    within(root, "[data-job-title-add]").forEach((button) => {
      button.hidden = false;
    });
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-job-title-add]");
    if (add) {
      const field = jobTitleBox(add);
      jobTitleToggle(field, field.querySelector("[data-job-title-new]").hidden);
      return;
    }
    const save = event.target.closest("[data-job-title-save]");
    if (save) {
      jobTitleSave(jobTitleBox(save));
      return;
    }
    const cancel = event.target.closest("[data-job-title-cancel]");
    if (cancel) jobTitleToggle(jobTitleBox(cancel), false);
  });

  document.addEventListener("keydown", (event) => {
    if (!event.target.matches || !event.target.matches("[data-job-title-name]")) return;
    if (event.key === "Enter") {
      // Enter names the job title; it must not submit the whole lead form.
      event.preventDefault();
      jobTitleSave(jobTitleBox(event.target));
    } else if (event.key === "Escape") {
      event.preventDefault();
      jobTitleToggle(jobTitleBox(event.target), false);
    }
  });

  // Stars --------------------------------------------------------------------------------------

  function paintStars(group) {
    const checked = group.querySelector("input[type=radio]:checked");
    const score = checked ? Number(checked.value) : 0;
    group.querySelectorAll("input[type=radio]").forEach((input) => {
      const label = group.querySelector(`label[for="${input.id}"]`);
      const value = Number(input.value);
      if (label) label.classList.toggle("is-lit", value > 0 && value <= score);
    });
  }

  // Lost reason --------------------------------------------------------------------------------

  // The comment field shows when the chosen reason asks for one (or already has an error).
  function syncLostComment(form) {
    const select = form.querySelector("[data-lost-reason]");
    const box = form.querySelector("[data-lost-comment]");
    if (!select || !box) return;
    const option = select.options[select.selectedIndex];
    const needed = Boolean(option && option.dataset.commentRequired);
    box.hidden = !needed && !box.querySelector(".invalid-feedback");
    const area = box.querySelector("textarea");
    if (area) area.setAttribute("aria-required", String(needed));
  }

  document.addEventListener("change", (event) => {
    const stars = event.target.closest("[data-star-rating]");
    if (stars) paintStars(stars);
    if (event.target.matches("[data-lost-reason]") && event.target.form) {
      syncLostComment(event.target.form);
    }
  });

  function init(root) {
    initRichText(root);
    initJobTitle(root);
    within(root, "[data-star-rating]").forEach(paintStars);
    within(root, "form[data-lose-form]").forEach(syncLostComment);
  }

  document.addEventListener("DOMContentLoaded", () => init(document));
  // Content swapped in by htmx (the lose form on the lead page).
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
