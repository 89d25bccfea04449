// The "Export" menu of a list: export the list as it is filtered now. The filters change the
// address bar through HTMX (hx-push-url) without rendering the menu again, so the link takes
// the address bar's query string at click time (without the page cursor).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-export-url]");
    if (!link) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    params.delete("cursor");
    var query = params.toString();
    link.href = link.dataset.exportUrl + (query ? "?" + query : "");
  });
})();
