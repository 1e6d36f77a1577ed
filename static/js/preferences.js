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
      const matches = (value) => words.every((word) => value.toLowerCase().includes(word));
      const options = Array.from(select.options);
      // The first match becomes the choice unless the current one matches: saving a filtered
      // list saves what it shows; the choice is always one of the list.
      const first = options.find((option) => option.value && matches(option.value));
      if (first && !(select.value && matches(select.value))) select.value = first.value;
      for (const option of options) {
        option.hidden = !(option.value === "" || option.selected || matches(option.value));
      }
    });
  }

  document.querySelectorAll("select[data-filterable]").forEach(addFilter);
})();
