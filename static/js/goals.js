// The goals page: the goal form answers invalid input with 400 and the page body with its messages.
// htmx does not swap 4xx answers by default: for this form they are swapped like a 200.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var form = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    if (!form || !form.closest || !form.closest("[data-goal-form]") || xhr.status !== 400) { return; }
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
