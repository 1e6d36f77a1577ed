// The quote page: its htmx line forms answer invalid input with 400 and a refusal with 403/404/409,
// carrying the part to show and the message (out of band). htmx does not swap 4xx answers by
// default: here they are swapped like a 200 (a refusal sends HX-Reswap: none, so only its message
// lands). Its copy button (the customer link, shown once) is handled site-wide by app.js.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (!document.querySelector("[data-quote-page]") || xhr.status < 400 || xhr.status >= 500) { return; }
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
