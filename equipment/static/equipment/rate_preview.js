// The hourly-rate preview of the instrument editor: posts the cost fields (never saving them) and shows
// the rate the cost model gives, a moment after the manager stops typing.
(function () {
  "use strict";
  function start() {
    var box = document.querySelector("[data-rate-preview]");
    if (!box || box.dataset.bound) return;
    box.dataset.bound = "1";
    var form = box.closest("form");
    if (!form) return;
    var fields = box.dataset.fields.split(" ");
    var timer = null;
    function refresh() {
      var data = new FormData();
      fields.forEach(function (name) {
        var input = form.elements[name];
        if (input) data.append(name, input.value);
      });
      var token = form.elements.csrfmiddlewaretoken;
      data.append("csrfmiddlewaretoken", token ? token.value : "");
      fetch(box.dataset.url, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; });
    }
    form.addEventListener("input", function (event) {
      if (fields.indexOf(event.target.name) === -1) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    form.addEventListener("change", function (event) {
      if (fields.indexOf(event.target.name) !== -1) refresh();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
