// The deal page: its htmx forms (line items, new organization or contact) answer invalid input
// with 400 and a refusal with 403/404/409, each carrying the part to show and the message (out of
// band). htmx does not swap 4xx answers by default: here they are swapped like a 200. A refusal
// sends HX-Reswap: none, so only its out-of-band message lands.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (!document.querySelector("[data-deal-page]") || xhr.status < 400 || xhr.status >= 500) { return; }
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
