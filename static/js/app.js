// Site-wide behaviour: dismiss flash messages after a while; nothing here is page-specific.
(function () {
  "use strict";
  // Controls that need JavaScript are shown only when it runs (app.css, `.js-only`).
  document.documentElement.classList.add("js");
  function fadeMessages(root) {
    root.querySelectorAll(".message:not([data-sticky])").forEach(function (el) {
      window.setTimeout(function () { el.classList.add("message-fading"); }, 6000);
      window.setTimeout(function () { el.remove(); }, 7000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fadeMessages(document); });
  document.addEventListener("htmx:afterSwap", function (event) { fadeMessages(event.detail.target); });
})();
