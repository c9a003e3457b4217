// The plain query editor (used when YASGUI is not installed): pick a saved question to load it.
(function () {
  "use strict";
  var saved = JSON.parse(document.getElementById("saved-queries").textContent);
  var select = document.getElementById("saved");
  var area = document.getElementById("query");
  select.addEventListener("change", function () {
    saved.forEach(function (q) { if (q.name === select.value) { area.value = q.query; } });
  });
})();
