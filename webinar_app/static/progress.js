/* Keep a progress page current without reloading it (a timed reload moves the focus and the
   reading position, WCAG 2.2.1): while the page loads this script, fetch the page again every
   2 seconds and put its new <main> in place. Without JavaScript, reloading shows the news. */
(function () {
  "use strict";
  var main = document.getElementById("main");
  function schedule() { window.setTimeout(poll, 2000); }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var next = fresh.getElementById("main");
        if (!next) { return; }
        main.innerHTML = next.innerHTML;
        if (fresh.querySelector("script[data-progress]")) { schedule(); }
      })
      .catch(schedule);
  }
  if (main) { schedule(); }
})();
