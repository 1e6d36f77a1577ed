// The organization and contact pages: the "Log a call, meeting or note" form answers invalid
// input with 400 and the activities section with its messages. htmx does not swap 4xx answers
// by default: for this form they are swapped like a 200.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var form = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    if (!form || !form.closest || !form.closest("[data-log-activity]") || xhr.status !== 400) { return; }
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
