/* Tessera's page behaviour, loaded as a file so the Content-Security-Policy can forbid
   inline script: what used to be onclick/onchange attributes is wired up here. */
(function () {
  "use strict";
  // Flask-Admin's placeholder links (href="javascript:void(0)") must never navigate:
  // a javascript: URL is inline script and the CSP refuses it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="javascript:"]');
    if (link) {
      event.preventDefault();
    }
    var action = event.target.closest && event.target.closest("[data-tessera-action]");
    if (action && window.modelActions) {
      window.modelActions.execute(action.getAttribute("data-tessera-action"));
    }
    var confirmed = event.target.closest && event.target.closest("[data-tessera-confirm]");
    if (confirmed && !window.confirm(confirmed.getAttribute("data-tessera-confirm"))) {
      event.preventDefault();
    }
  }, true);
  // <select data-tessera-autosubmit> submits its form when the choice changes (the switchers).
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-tessera-autosubmit]")) {
      event.target.form.submit();
    }
  });
})();
