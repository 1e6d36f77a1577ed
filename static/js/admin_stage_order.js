// Django admin, a pipeline's stage inline: drag a row by its handle to reorder the stages
// (SortableJS). After a drop the order inputs are renumbered in the rows' new sequence, reusing
// the numbers the admin already gave (sorted; a repeated or empty one becomes its predecessor + 1),
// so "Save" stores the new sequence. The inline is marked by the class js-stage-order.
(function () {
  "use strict";

  function orderInput(row) {
    return row.querySelector("td.field-order input");
  }

  function rows(tbody) {
    return Array.prototype.filter.call(tbody.children, function (row) {
      return row.classList.contains("form-row") && !row.classList.contains("empty-form") && orderInput(row);
    });
  }

  function renumber(tbody) {
    var inputs = rows(tbody).map(orderInput);
    var numbers = inputs
      .map(function (input) { return parseInt(input.value, 10); })
      .filter(function (n) { return !isNaN(n); })
      .sort(function (a, b) { return a - b; });
    var previous = null;
    inputs.forEach(function (input, i) {
      var number = i < numbers.length ? numbers[i] : null;
      if (number === null || (previous !== null && number <= previous)) {
        number = previous === null ? 1 : previous + 1;
      }
      if (String(number) !== input.value) {
        input.value = String(number);
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      previous = number;
    });
  }

  function init() {
    if (typeof Sortable === "undefined") { return; }
    document.querySelectorAll("fieldset.js-stage-order tbody").forEach(function (tbody) {
      Sortable.create(tbody, {
        handle: ".stage-drag-handle",
        draggable: "tr.form-row:not(.empty-form)",
        animation: 120,
        ghostClass: "stage-drag-ghost",
        onEnd: function () { renumber(tbody); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
