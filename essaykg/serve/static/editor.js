// The query editor: YASGUI (served from this app, never from a CDN), one tab per saved question,
// queries sent to this app's /sparql. The class and property autocompleters are switched off:
// they ask an outside service (LOV) for terms.
(function () {
  "use strict";
  var saved = JSON.parse(document.getElementById("saved-queries").textContent);
  var endpoint = window.location.origin + "/sparql";
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(function (name) {
    return name !== "class" && name !== "property";
  });
  Yasgui.Yasqe.defaults.resizeable = true;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    // Never run a query that came in the address: another site could link here with its own query
    // (or endpoint), and the request would then come from this app's own page. ?tab= picks a saved one.
    populateFromUrl: false,
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; },
      keys: [],
    },
    tabName: "Query",
  });
  var first = yasgui.getTab();
  var wanted = new URLSearchParams(window.location.search).get("tab") || "";
  var chosen = null;
  saved.forEach(function (q, index) {
    var tab = yasgui.addTab(false, {
      name: q.name,
      yasqe: { value: q.query },
      requestConfig: { endpoint: endpoint, method: "POST" },
    });
    if (q.name === wanted || (!wanted && index === 0)) { chosen = tab; }
  });
  if (chosen) {
    yasgui.selectTabId(typeof chosen === "string" ? chosen : chosen.getId());
  }
  if (first && saved.length) { first.close(); }
  window.essaykgYasgui = yasgui;
})();
