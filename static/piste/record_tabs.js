// Record pages: the paperclip (and any link with data-show-tab) opens its tab in place
// instead of leaving the page; without JavaScript the link opens the tab's own page.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-show-tab]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var button = document.querySelector(link.getAttribute("data-show-tab"));
    if (!button || !window.bootstrap) return;
    event.preventDefault();
    window.bootstrap.Tab.getOrCreateInstance(button).show();
    button.scrollIntoView({ behavior: "smooth", block: "start" });
    button.focus({ preventScroll: true });
  });
})();
