// The step form of a sequence page: show only the fields of the chosen kind. Without this
// script every field shows, and the server keeps those of the kind (nurturing/authoring.py).
(function () {
  "use strict";

  function update(form) {
    var kindSelect = form.querySelector("[data-step-kind]");
    if (!kindSelect) return;
    form.querySelectorAll("[data-for-kind]").forEach(function (input) {
      var label = input.closest("label") || input;
      label.hidden = input.getAttribute("data-for-kind") !== kindSelect.value;
    });
  }

  function init(root) {
    root.querySelectorAll("[data-step-form]").forEach(function (form) {
      if (form.dataset.stepFormReady) return;
      form.dataset.stepFormReady = "1";
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-step-kind]")) update(form);
      });
      update(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
