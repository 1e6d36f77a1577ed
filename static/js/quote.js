// The quote page: its htmx line forms answer invalid input with 400 and a refusal with 403/404/409,
// carrying the part to show and the message (out of band). htmx does not swap 4xx answers by
// default: here they are swapped like a 200 (a refusal sends HX-Reswap: none, so only its message
// lands). The copy button puts the customer's link, shown once, on the clipboard.
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
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-copy-from]");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy-from"));
    if (!input) { return; }
    input.select();
    var done = function () { button.textContent = button.getAttribute("data-copied-text") || button.textContent; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
