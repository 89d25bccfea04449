// Configuration → Web forms: the Copy buttons next to the snippets.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var field = document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  var done = function () {
    button.textContent = button.dataset.copied || "OK";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () {});
  } else if (document.execCommand("copy")) {
    done();
  }
});
