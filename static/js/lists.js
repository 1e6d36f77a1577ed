// The lists' shared behaviour: forms that save or act on "the list as it is now" take the
// current query string at submit time (htmx filtering changes it without a reload), and the
// header checkbox selects the rows of the page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-list-query]")) { return; }
    var input = form.querySelector("input[name=query]");
    if (input) { input.value = window.location.search.replace(/^\?/, ""); }
  }, true);
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input.select-page")) { return; }
    var table = box.closest("table");
    if (!table) { return; }
    table.querySelectorAll("input.select-row").forEach(function (row) { row.checked = box.checked; });
  });
})();
