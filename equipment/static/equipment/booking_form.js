// The booking form's end list holds the ends valid from the start it was drawn for. When the date or the
// start changes, it no longer does: a plain time field replaces it (the server checks the booking and, if
// it is refused, draws the list again for the new start).
(function () {
  "use strict";
  var end = document.getElementById("id_end_time");
  if (!end || end.tagName !== "SELECT") return;
  function toTimeField() {
    var current = document.getElementById("id_end_time");
    if (!current || current.tagName !== "SELECT") return;
    var input = document.createElement("input");
    input.type = "time";
    input.name = current.name;
    input.id = current.id;
    input.value = current.value;
    input.required = current.required;
    if (current.getAttribute("aria-describedby")) input.setAttribute("aria-describedby", current.getAttribute("aria-describedby"));
    current.replaceWith(input);
  }
  ["id_date", "id_start_time"].forEach(function (id) {
    var field = document.getElementById(id);
    if (field) field.addEventListener("change", toTimeField);
  });
})();
