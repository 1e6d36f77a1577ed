// The mailbox page: choosing a provider fills the server fields from the presets (mail/presets.py,
// given in data-presets) and shows its hint; the user name field shows the address it defaults to.
(function () {
  "use strict";
  var FILLED = ["imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port", "smtp_security"];

  function field(form, name) { return form.querySelector('[data-field="' + name + '"]'); }

  function setUp(form) {
    var presets = JSON.parse(form.getAttribute("data-presets") || "{}");
    var provider = field(form, "provider");
    var hint = form.querySelector("[data-preset-hint]");
    var address = field(form, "email_address");
    var username = field(form, "username");
    if (provider) {
      provider.addEventListener("change", function () {
        var preset = presets[provider.value];
        if (hint) { hint.textContent = preset ? preset.hint : ""; }
        if (!preset || preset.key === "custom") { return; }
        FILLED.forEach(function (name) {
          var input = field(form, name);
          if (input) { input.value = String(preset[name]); }
        });
      });
    }
    if (address && username) {
      var showDefault = function () { username.placeholder = address.value; };
      address.addEventListener("input", showDefault);
      showDefault();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-mailbox-form]").forEach(setUp);
  });
})();
