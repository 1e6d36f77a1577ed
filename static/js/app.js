// Site-wide behaviour: dismiss flash messages after a while, avatar colours, copy buttons.
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
  // A colour the user chose for their initials (accounts/avatar.py): the policy refuses inline styles,
  // so the markup carries it in data-avatar-color and it is set here.
  function colourAvatars(root) {
    root.querySelectorAll("[data-avatar-color]").forEach(function (el) {
      var colour = el.getAttribute("data-avatar-color");
      if (/^#[0-9a-f]{6}$/i.test(colour)) { el.style.backgroundColor = colour; }
    });
  }
  // A button with data-copy-from="<input id>" puts that input's value on the clipboard (a new API
  // token, a quote's customer link: each shown once) and shows data-copied-text.
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
  document.addEventListener("DOMContentLoaded", function () { fadeMessages(document); colourAvatars(document); });
  document.addEventListener("htmx:afterSwap", function (event) { fadeMessages(event.detail.target); });
  document.addEventListener("htmx:load", function (event) { colourAvatars(event.detail.elt); });
})();
