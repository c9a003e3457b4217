/* The graph view's behaviour; inlined into the page by essaykg/view/graph_page.py.
   Every piece of text reaches the DOM through textContent (see el()), never through innerHTML, and
   only http(s) addresses become links. window.essayGraph exposes the state to the browser tests. */
(function () {
  "use strict";
  var timings = { scriptStart: performance.now() };
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var info = data.info;
  var container = document.getElementById("graph");
  var panel = document.getElementById("panel");
  var statusLine = document.getElementById("status");
  var INK = data.options.nodes.font.color;
  var EDGE_INK = data.options.edges.font.color;
  var DIM_NODE = { background: "#eceef0", border: "#d6dade", highlight: { background: "#eceef0", border: "#d6dade" },
                   hover: { background: "#eceef0", border: "#d6dade" } };
  var DIM_TEXT = "#c4c9ce";
  var DIM_EDGE = { color: "#e4e7ea", highlight: "#e4e7ea", hover: "#e4e7ea", opacity: 0.7 };

  var baseNode = new Map();
  data.nodes.forEach(function (n) { baseNode.set(n.id, n); });

  // ------------------------------------------------------------------ DOM helpers (text only)
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key === "className") node.className = attrs[key];
        else node.setAttribute(key, attrs[key]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }
  function safeHref(url) {
    if (typeof url !== "string") return null;
    try {
      var parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (err) {
      return null;
    }
  }
  function linkOrText(url, text) {
    var href = safeHref(url);
    if (!href) return el("span", { text: text || String(url) });
    return el("a", { href: href, rel: "noopener noreferrer", target: "_blank", text: text || url });
  }

  // ------------------------------------------------------------------ the network
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  timings.dataReady = performance.now();
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  timings.networkCreated = performance.now();
  network.fit({ animation: false });
  // The themes outline opens readable (labels of 12 px or more), its top in view, rather than
  // fitted whole at a size nobody can read; scroll or drag for the rest.
  var READABLE = 0.85;
  if (data.view === "themes" && network.getScale() < READABLE) {
    var ys = data.nodes.map(function (n) { return n.y; });
    var xs = data.nodes.map(function (n) { return n.x; });
    var top = Math.min.apply(null, ys) - 30;
    var left = Math.min.apply(null, xs) - 130;  // the first column, the top concepts, always in view
    network.moveTo({ position: { x: Math.min(left + container.clientWidth / 2 / READABLE,
                                             (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2),
                                 y: top + container.clientHeight / 2 / READABLE },
                     scale: READABLE, animation: false });
  }
  network.once("afterDrawing", function () {
    timings.settled = performance.now();
  });

  // The zoom to a node is driven by the clock, not by vis-network's frame-counted animation: on a
  // slow software-rendered canvas that one can crawl, and it stalled in testing.
  var animation = 0;
  function zoomTo(id, scale, duration) {
    var token = ++animation;
    var target = network.getPositions([id])[id];
    var from = network.getViewPosition();
    var fromScale = network.getScale();
    var start = performance.now();
    function step() {
      if (token !== animation) return;  // a newer zoom took over
      var t = Math.min(1, (performance.now() - start) / duration);
      var e = t < 0.5 ? 2 * t * t : -1 + (4 - 2 * t) * t;  // ease in and out
      network.moveTo({ position: { x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e },
                       scale: fromScale + (scale - fromScale) * e, animation: false });
      if (t < 1) requestAnimationFrame(step);
      else timings.lastAnimationFinished = performance.now();
    }
    requestAnimationFrame(step);
  }

  // adjacency over every edge, hidden or not, for the panel's "connections"
  var adjacency = new Map();
  data.edges.forEach(function (e) {
    if (!adjacency.has(e.from)) adjacency.set(e.from, []);
    if (!adjacency.has(e.to)) adjacency.set(e.to, []);
    adjacency.get(e.from).push({ edge: e, other: e.to, out: true });
    if (e.to !== e.from) adjacency.get(e.to).push({ edge: e, other: e.from, out: false });
  });

  // ------------------------------------------------------------------ filters
  var kindOn = {};
  data.kinds.forEach(function (k) { kindOn[k.kind] = true; });
  var themeFilter = "";
  var assertedOn = true;
  var hiddenNodes = new Set();
  var hiddenEdges = new Set();

  function applyFilters() {
    var members = themeFilter ? new Set(data.themeMembers[themeFilter] || []) : null;
    var nodeUpdates = [];
    data.nodes.forEach(function (n) {
      var show = kindOn[info[n.id].kind] !== false && (!members || members.has(n.id));
      if (show === hiddenNodes.has(n.id)) {
        nodeUpdates.push({ id: n.id, hidden: !show });
        if (show) hiddenNodes.delete(n.id); else hiddenNodes.add(n.id);
      }
    });
    var edgeUpdates = [];
    data.edges.forEach(function (e) {
      var show = !hiddenNodes.has(e.from) && !hiddenNodes.has(e.to) &&
        (assertedOn || data.edgeCategory[e.id] !== "asserted");
      if (show === hiddenEdges.has(e.id)) {
        edgeUpdates.push({ id: e.id, hidden: !show });
        if (show) hiddenEdges.delete(e.id); else hiddenEdges.add(e.id);
      }
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
    if (selected && hiddenNodes.has(selected)) clearSelection();
    updateStatus();
    runSearch();
    fitShown();
  }
  // A filter frames what it leaves: after a zoom, the nodes it shows may all lie outside the view.
  function fitShown() {
    var shown = data.nodes.filter(function (n) { return !hiddenNodes.has(n.id); }).map(function (n) { return n.id; });
    if (!shown.length) return;
    ++animation;  // a zoom still running would move the view away again
    network.fit({ nodes: shown, animation: false, maxZoomLevel: 1.5 });
    timings.lastFit = performance.now();
  }
  function updateStatus() {
    var n = data.nodes.length - hiddenNodes.size;
    var m = data.edges.length - hiddenEdges.size;
    var text = n === data.nodes.length && m === data.edges.length
      ? n + " nodes · " + m + " edges"
      : n + " of " + data.nodes.length + " nodes · " + m + " of " + data.edges.length + " edges shown";
    statusLine.textContent = text;
  }
  document.querySelectorAll("input[data-kind]").forEach(function (box) {
    box.addEventListener("change", function () {
      kindOn[box.getAttribute("data-kind")] = box.checked;
      applyFilters();
    });
  });
  var themeSelect = document.getElementById("theme-filter");
  if (themeSelect) {
    themeSelect.addEventListener("change", function () {
      themeFilter = themeSelect.value;
      applyFilters();
    });
  }
  var assertedBox = document.getElementById("asserted-layer");
  if (assertedBox) {
    assertedBox.addEventListener("change", function () {
      assertedOn = assertedBox.checked;
      applyFilters();
    });
  }

  // ------------------------------------------------------------------ selection and highlight
  var selected = null;
  var highlighted = null;
  var highlightTimer = null;

  function highlight(id) {
    var keep = new Set(network.getConnectedNodes(id));
    keep.add(id);
    var keepEdges = new Set(network.getConnectedEdges(id));
    highlighted = keep;
    nodes.update(data.nodes.map(function (n) {
      return keep.has(n.id) ? { id: n.id, color: n.color, font: { color: INK } }
                            : { id: n.id, color: DIM_NODE, font: { color: DIM_TEXT } };
    }));
    edges.update(data.edges.map(function (e) {
      return keepEdges.has(e.id) ? { id: e.id, color: e.color, font: { color: EDGE_INK } }
                                 : { id: e.id, color: DIM_EDGE, font: { color: DIM_TEXT } };
    }));
  }
  function unhighlight() {
    if (!highlighted) return;
    highlighted = null;
    nodes.update(data.nodes.map(function (n) { return { id: n.id, color: n.color, font: { color: INK } }; }));
    edges.update(data.edges.map(function (e) { return { id: e.id, color: e.color, font: { color: EDGE_INK } }; }));
  }
  function select(id, focus) {
    if (!baseNode.has(id) || hiddenNodes.has(id)) return false;
    selected = id;
    network.selectNodes([id]);
    showPanel(id);
    // dimming the rest updates every node and edge: do it after the input events waiting in line
    clearTimeout(highlightTimer);
    highlightTimer = setTimeout(function () { if (selected === id) highlight(id); }, 0);
    if (focus) zoomTo(id, Math.max(network.getScale() * 1.6, 1.3), 350);
    return true;
  }
  function clearSelection() {
    clearTimeout(highlightTimer);
    selected = null;
    network.unselectAll();
    unhighlight();
    panel.replaceChildren(el("p", { className: "hint", text: "Select a node to see what the graph says about it." }));
  }
  network.on("click", function (params) {
    if (params.nodes.length) select(params.nodes[0], false);
    else if (!params.edges.length) clearSelection();
  });
  // the browser's own dblclick, not vis-network's: that one times the two taps when it gets to
  // them, so a busy page (the first click's work) can make a quick double click look slow
  container.addEventListener("dblclick", function (event) {
    var box = container.getBoundingClientRect();
    var id = network.getNodeAt({ x: event.clientX - box.left, y: event.clientY - box.top });
    if (id !== undefined) select(id, true);
  });

  // ------------------------------------------------------------------ the side panel
  function nodeLink(id) {
    var entry = info[id];
    var label = entry ? entry.label : id;
    if (baseNode.has(id)) {
      var button = el("button", { type: "button", className: "node-link", text: label });
      button.addEventListener("click", function () {
        if (!select(id, true)) button.title = "hidden by a filter";
      });
      return button;
    }
    if (entry && data.view === "themes") return el("a", { href: "graph.html#" + encodeURIComponent(id), text: label });
    return el("span", { text: label });
  }
  function section(title) { return el("h3", { text: title }); }
  function dl(rows) {
    var list = el("dl");
    rows.forEach(function (row) {
      list.appendChild(el("dt", { text: row[0] }));
      list.appendChild(el("dd", null, row[1]));
    });
    return list;
  }
  function evidenceBlock(ev) {
    var quote = el("blockquote", null,
      ev.prefix ? el("span", { className: "context", text: "…" + ev.prefix }) : null,
      el("mark", { className: "exact", text: ev.exact }),
      ev.suffix ? el("span", { className: "context", text: ev.suffix + "…" }) : null);
    var where = el("p", { className: "where" });
    if (ev.start !== null && ev.end !== null) {
      where.appendChild(el("span", { className: "offsets", text: "characters " + ev.start + "–" + ev.end }));
      where.appendChild(document.createTextNode(" (Unicode code points, end exclusive)"));
    }
    if (ev.paragraph !== null) where.appendChild(document.createTextNode(" · paragraph " + ev.paragraph));
    if (ev.source) {
      where.appendChild(document.createTextNode(" · in "));
      where.appendChild(el("cite", { text: ev.sourceLabel }));
      if (ev.sourceUrl) {
        where.appendChild(document.createTextNode(" "));
        where.appendChild(el("span", { className: "source-url" }, linkOrText(ev.sourceUrl, ev.sourceUrl)));
      }
    }
    // the passage in its essay's annotated reader (reader.html#<anchor's local name>, in essays/<slug>/
    // from the corpus's page), built only with the essay's text: no link to a reader that is not there
    if (ev.essay && (data.readers || []).indexOf(ev.essay) >= 0) {
      where.appendChild(document.createTextNode(" · "));
      var reader = (data.readerInEssayFolders ? "essays/" + encodeURIComponent(ev.essay) + "/" : "") + "reader.html#";
      where.appendChild(el("a", { className: "in-context", href: reader + encodeURIComponent(ev.anchor.replace(/^.*[\/#]/, "")),
                                  text: "read in context" }));
    }
    return el("div", { className: "evidence", "data-anchor": ev.anchor }, quote, where);
  }
  function showPanel(id) {
    var entry = info[id];
    var parts = [];
    parts.push(el("p", { className: "kind-line" }, el("span", { className: "kind", text: entry.kindLabel }),
                  el("code", { text: entry.curie })));
    parts.push(el("h2", { className: "label", text: entry.label }));
    if (entry.altLabels && entry.altLabels.length) {
      parts.push(el("p", { className: "hint", text: "also: " + entry.altLabels.join("; ") }));
    }
    if (entry.description) parts.push(el("p", { className: "description", text: entry.description }));
    if (entry.kind === "quotation" && entry.text) {
      parts.push(el("blockquote", { className: "quotation-text", text: "“" + entry.text + "”" }));
    }
    if (entry.kind === "claim") {
      var rows = [];
      if (entry.stance) rows.push(["stance", entry.stance]);
      if (entry.themes && entry.themes.length) {
        var span = el("span");
        entry.themes.forEach(function (t, i) {
          if (i) span.appendChild(document.createTextNode(", "));
          span.appendChild(nodeLink(t));
        });
        rows.push(["themes", span]);
      }
      if (rows.length) parts.push(dl(rows));
    }
    if (entry.evidence && entry.evidence.length) {
      parts.push(section(entry.evidence.length === 1 ? "Evidence in the essay" : "Evidence in the essay (" + entry.evidence.length + ")"));
      entry.evidence.forEach(function (ev) { parts.push(evidenceBlock(ev)); });
    }
    if (entry.asserts && entry.asserts.length) {
      parts.push(section("What it asserts"));
      var ul = el("ul", { className: "asserts" });
      entry.asserts.forEach(function (t) {
        ul.appendChild(el("li", null, nodeLink(t[0]), " " + t[1] + " ", nodeLink(t[2])));
      });
      parts.push(ul);
    }
    if (entry.kind === "theme" && entry.claims) {
      var total = entry.claims.length + (entry.narrowerClaims ? entry.narrowerClaims.length : 0);
      parts.push(section("Claims on this theme (" + entry.claims.length + ")"));
      if (entry.claims.length) {
        var cl = el("ul", { className: "theme-claims" });
        entry.claims.forEach(function (c) { cl.appendChild(el("li", null, nodeLink(c))); });
        parts.push(cl);
      } else {
        parts.push(el("p", { className: "hint", text: "None directly." }));
      }
      if (entry.narrowerClaims && entry.narrowerClaims.length) {
        parts.push(section("On narrower themes (" + entry.narrowerClaims.length + "; " + total + " in all)"));
        var nl = el("ul", { className: "narrower-claims" });
        entry.narrowerClaims.forEach(function (c) { nl.appendChild(el("li", null, nodeLink(c))); });
        parts.push(nl);
      }
    }
    var links = adjacency.get(id) || [];
    if (links.length) {
      parts.push(section("Connections (" + links.length + ")"));
      var cu = el("ul", { className: "connections" });
      links.slice().sort(function (a, b) {
        return (a.out === b.out ? 0 : a.out ? -1 : 1) || a.edge.name.localeCompare(b.edge.name) ||
          info[a.other].label.localeCompare(info[b.other].label);
      }).forEach(function (link) {
        var arrow = link.out ? link.edge.name + " → " : "← " + link.edge.name + " ";
        var item = el("li", null, el("span", { className: "pred", text: arrow }), nodeLink(link.other));
        if (data.edgeCategory[link.edge.id] === "asserted") item.appendChild(el("span", { className: "kind-tag", text: "(claimed)" }));
        cu.appendChild(item);
      });
      parts.push(cu);
    }
    if (entry.links && entry.links.length) {
      parts.push(section("Links"));
      parts.push(dl(entry.links.map(function (l) { return [l.label, linkOrText(l.href, l.text)]; })));
    }
    if (entry.details && entry.details.length) {
      parts.push(section("Details"));
      parts.push(dl(entry.details.map(function (d) { return [d[0], d[1]]; })));
    }
    if (entry.centrality) {
      parts.push(el("p", { className: "hint", text: "Degree centrality " + entry.centrality.degree +
        " · betweenness " + entry.centrality.betweenness + " (node size follows degree)" }));
    }
    panel.replaceChildren.apply(panel, parts);
    panel.scrollTop = 0;
  }

  // ------------------------------------------------------------------ search
  var searchBox = document.getElementById("search");
  var resultList = document.getElementById("results");
  function norm(s) {
    return String(s).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[\u2018\u2019]/g, "'")
      .replace(/[\u201c\u201d]/g, '"').replace(/[\u2013\u2014]/g, "-").toLowerCase();
  }
  var searchIndex = data.nodes.map(function (n) {
    var entry = info[n.id];
    return { id: n.id, label: norm(entry.label), all: norm([entry.label].concat(entry.altLabels || [], [entry.text || ""]).join(" | ")) };
  });
  var matches = [];
  function runSearch() {
    var q = norm(searchBox.value.trim());
    matches = [];
    if (q) {
      matches = searchIndex.filter(function (s) { return s.all.indexOf(q) >= 0; });
      matches.sort(function (a, b) {
        var sa = a.label.indexOf(q) === 0 ? 0 : a.label.indexOf(q) > 0 ? 1 : 2;
        var sb = b.label.indexOf(q) === 0 ? 0 : b.label.indexOf(q) > 0 ? 1 : 2;
        return sa - sb || a.label.localeCompare(b.label) || (a.id < b.id ? -1 : 1);
      });
      matches = matches.slice(0, 15);
    }
    if (q && !matches.length) {
      resultList.replaceChildren(el("li", { className: "no-match", text: "Nothing matches “" + searchBox.value.trim() + "”." }));
      return;
    }
    resultList.replaceChildren.apply(resultList, matches.map(function (m) {
      var entry = info[m.id];
      var hidden = hiddenNodes.has(m.id);
      var button = el("button", { type: "button", "data-id": m.id, text: entry.label },
                      el("span", { className: "kind-tag", text: entry.kindLabel + (hidden ? " · hidden by a filter" : "") }));
      if (hidden) button.disabled = true;
      button.addEventListener("click", function () { select(m.id, true); });
      return el("li", { role: "option" }, button);
    }));
  }
  searchBox.addEventListener("input", runSearch);
  searchBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = matches.find(function (m) { return !hiddenNodes.has(m.id); });
      if (first) select(first.id, true);
      event.preventDefault();
    } else if (event.key === "Escape") {
      searchBox.value = "";
      runSearch();
    }
  });

  // ------------------------------------------------------------------ deep link: page.html#<node IRI or CURIE>
  function expand(name) {
    var m = /^([A-Za-z][\w-]*):(.*)$/.exec(name);
    return m && data.prefixes && Object.prototype.hasOwnProperty.call(data.prefixes, m[1]) ? data.prefixes[m[1]] + m[2] : name;
  }
  function followHash() {
    if (location.hash.length <= 1) return;
    var wanted = decodeURIComponent(location.hash.slice(1));
    var id = baseNode.has(wanted) ? wanted : expand(wanted);
    if (baseNode.has(id)) {
      select(id, true);
    } else {
      panel.replaceChildren(el("p", { className: "not-found", text: "Nothing in this view is named “" + wanted + "”." }));
    }
  }
  followHash();
  window.addEventListener("hashchange", followHash);

  window.essayGraph = {
    network: network, nodes: nodes, edges: edges, data: data, timings: timings,
    select: select, clear: clearSelection,
    drawnNodes: function () { return network.body.nodeIndices.slice(); },
    drawnEdges: function () { return network.body.edgeIndices.slice(); },
    highlighted: function () { return highlighted ? Array.from(highlighted).sort() : null; },
    selected: function () { return selected; }
  };
})();
