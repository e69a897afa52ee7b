/* The query page of llm-atlas serve: YASGUI on this server's SPARQL endpoint, the saved queries as examples.
 *
 * Everything stays on this server: the endpoint is fixed to /sparql (a link or a stored tab naming another
 * endpoint is pointed back here), the editor's autocompleters that call external services (LOV) are off,
 * prefix completion reads /prefixes.json, and the page's Content-Security-Policy allows no other origin.
 */
(function () {
  "use strict";
  var endpoint = new URL("/sparql", window.location.href).href;
  var notice = document.getElementById("truncated");
  var saved = {};

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      keys: [],
      getData: function () { return [{ endpoint: endpoint }]; },
    },
    persistenceId: "llm-atlas-" + window.location.host,
    populateFromUrl: function (config) {
      config.requestConfig = Object.assign({}, config.requestConfig, { endpoint: endpoint });
      return config;
    },
    yasqe: {
      autocompleters: ["variables", "prefixes"],
      prefixCcApi: new URL("/prefixes.json", window.location.href).href,
    },
  });

  function pin(tab) {
    if (tab && tab.getEndpoint() !== endpoint) tab.setEndpoint(endpoint);
  }
  function watch(tab) {
    if (!tab || tab.__atlasWatched) return;
    tab.__atlasWatched = true;
    pin(tab);
    tab.on("queryBefore", function () { pin(tab); notice.hidden = true; });
    var yasqe = tab.getYasqe && tab.getYasqe();
    if (yasqe) {
      yasqe.on("queryResponse", function (_yasqe, response) {
        var headers = response && response.headers;
        if (headers && typeof headers.get === "function" && headers.get("X-Atlas-Truncated") === "true") {
          notice.textContent = "The answer was cut at " + headers.get("X-Atlas-Row-Limit") +
            " rows, the limit of this endpoint: add LIMIT/OFFSET or narrow the query.";
          notice.hidden = false;
        }
      });
    }
  }
  Object.keys(yasgui._tabs || {}).forEach(function (id) { watch(yasgui.getTab(id)); });
  yasgui.on("tabAdd", function (_y, id) { setTimeout(function () { watch(yasgui.getTab(id)); }, 0); });
  yasgui.on("tabSelect", function (_y, id) { setTimeout(function () { watch(yasgui.getTab(id)); }, 0); });
  yasgui.on("tabChange", function (_y, tab) { watch(tab); });
  watch(yasgui.getTab());

  function openSaved(name) {
    var query = saved[name];
    if (!query) return;
    var tab = null;
    Object.keys(yasgui._tabs || {}).forEach(function (id) {
      var candidate = yasgui.getTab(id);
      if (candidate && candidate.getName() === name) tab = candidate;
    });
    if (!tab) {
      tab = yasgui.addTab(true, { name: name, yasqe: { value: query.example }, requestConfig: { endpoint: endpoint } });
    } else {
      yasgui.selectTabId(tab.getId());
      tab.setQuery(query.example);
    }
    watch(tab);
    pin(tab);
    document.body.setAttribute("data-last-query", name);
    tab.query();
  }

  var list = document.getElementById("saved-queries");
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button.saved-query");
    if (button) openSaved(button.getAttribute("data-name"));
  });
  fetch("/queries.json", { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (queries) {
      queries.forEach(function (query) { saved[query.name] = query; });
      document.body.setAttribute("data-queries-loaded", String(queries.length));
    });
  window.atlasYasgui = yasgui;
})();
