// A text filter for long selects (the preferences' time zone): typing narrows the options.
// Without JavaScript the select works as it is.
(function () {
  "use strict";

  function addFilter(select) {
    const input = document.createElement("input");
    input.type = "search";
    input.className = "select-filter";
    input.setAttribute("aria-label", select.dataset.filterLabel || "Filter");
    input.placeholder = select.dataset.filterLabel || "";
    input.setAttribute("aria-controls", select.id);
    input.dataset.testid = "select-filter";
    select.before(input);
    input.addEventListener("input", () => {
      const words = input.value.trim().toLowerCase().replace(/\s+/g, "_").split("_").filter(Boolean);
      let first = null;
      for (const option of select.options) {
        const text = option.value.toLowerCase();
        const shown = option.value === "" || option.selected || words.every((word) => text.includes(word));
        option.hidden = !shown;
        if (shown && option.value && !first) first = option;
      }
      // Picking the only or first match saves a click; the choice stays on the list.
      if (first && !select.value) select.value = first.value;
    });
  }

  document.querySelectorAll("select[data-filterable]").forEach(addFilter);
})();
