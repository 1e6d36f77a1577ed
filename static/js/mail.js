// The compose form (templates/mail/compose.html): htmx swaps a form answered with 400 (its
// messages), which it would otherwise drop.
(function () {
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (evt.detail.xhr.status === 400 && target && target.closest("[data-mail-compose]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
