// The header's search box: "/" or Ctrl-K (Cmd-K) focuses it, htmx fetches the dropdown as one
// types (hx-trigger on the input, debounced there), the arrow keys walk through the results,
// Escape or a click elsewhere closes them. Enter without a chosen result opens the results page.
(function () {
  "use strict";
  var input = document.getElementById("global-search");
  var dropdown = document.getElementById("global-search-results");
  if (!input || !dropdown) { return; }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function hits() { return Array.prototype.slice.call(dropdown.querySelectorAll("[data-search-hit]")); }
  function close() { dropdown.hidden = true; }
  function open() { if (dropdown.children.length) { dropdown.hidden = false; } }
  function focusBox() { input.focus(); input.select(); open(); }

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (key === "k" || key === "K")) {
      event.preventDefault();
      focusBox();
    } else if (key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      focusBox();
    }
  });

  input.form.addEventListener("keydown", function (event) {
    var list = hits();
    var index = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      open();
      list[Math.min(index + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && list.length) {
      event.preventDefault();
      if (index <= 0) { input.focus(); } else { list[index - 1].focus(); }
    } else if (event.key === "Escape") {
      event.preventDefault();  // keep the text (a search field would clear itself)
      close();
      input.blur();
    }
  });

  input.addEventListener("focus", open);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === dropdown) { dropdown.hidden = document.activeElement !== input && !dropdown.contains(document.activeElement); }
  });
  document.addEventListener("click", function (event) {
    if (!input.form.contains(event.target)) { close(); }
  });
})();
