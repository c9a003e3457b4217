// The argument map's script; inlined into the page by essaykg/argument_map.py. No eval, no inline
// handlers: the page's Content-Security-Policy allows only its own scripts, by hash. Text reaches
// the DOM through textContent only.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var container = document.getElementById("graph");
  var panel = document.getElementById("panel");
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var fontSize = data.options.nodes.font.size;
  var readableScale = data.readable / fontSize;  // the least scale at which labels are readable
  var selected = null;

  function el(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "className") node.className = props[key];
      else node.setAttribute(key, props[key]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function claimHref(iri) { return "#" + encodeURIComponent(iri); }

  // ------------------------------------------------------------------ the view
  function topNode() {
    return data.nodes.reduce(function (best, n) {
      return best === null || n.y < best.y || (n.y === best.y && Math.abs(n.x) < Math.abs(best.x)) ? n : best;
    }, null);
  }

  // The whole map when it fits at a readable scale; else the readable scale, showing the top.
  function readableView() {
    var top = topNode();
    if (!top) return;
    var height = container.clientHeight;
    var scale = readableScale;
    network.moveTo({ position: { x: top.x, y: top.y + (height / 2 - 60) / scale }, scale: scale, animation: false });
  }
  function initialView() {
    network.fit({ animation: false });
    if (network.getScale() < readableScale) readableView();
    else if (network.getScale() > 1.4) network.moveTo({ scale: 1.4, animation: false });
  }

  // ------------------------------------------------------------------ the panel
  function section(title) { return el("h3", { text: title }); }

  function showClaim(iri) {
    var info = data.info[iri];
    panel.textContent = "";
    var head = el("div", {});
    info.roles.forEach(function (role) { head.appendChild(el("span", { className: "role", text: role.toUpperCase() })); });
    panel.appendChild(head);
    panel.appendChild(el("h2", { id: "claim-label", text: info.label }));
    panel.appendChild(el("p", { className: "meta", id: "claim-stance",
      text: "Stance: " + (info.stance || "none stated") + " · claim " + info.position + " in the essay's order" }));
    panel.appendChild(el("p", {}, el("a", { id: "graph-link", href: "graph.html#" + encodeURIComponent(iri),
      text: "Show it in the graph view" })));
    if (info.description) {
      panel.appendChild(section("Paraphrase"));
      panel.appendChild(el("p", { className: "description", text: info.description }));
    }
    if (info.themes.length) {
      panel.appendChild(section("Themes"));
      panel.appendChild(el("ul", { id: "claim-themes" }, ...info.themes.map(function (t) { return el("li", { text: t.label }); })));
    }
    if (info.about.length) {
      panel.appendChild(section("About"));
      panel.appendChild(el("ul", {}, ...info.about.map(function (t) { return el("li", { text: t.label }); })));
    }
    panel.appendChild(section("The essay's words"));
    if (!info.evidence.length) panel.appendChild(el("p", { className: "hint", text: "No passage is cited for this claim." }));
    info.evidence.forEach(function (q) {
      var where = (q.end !== null ? "characters [" + q.start + ", " + q.end + ")" : "from character " + q.start) +
        (q.paragraph !== null ? " · paragraph " + q.paragraph : "");
      panel.appendChild(el("div", { className: "evidence" },
        el("blockquote", { className: "exact", text: "“" + q.exact + "”" }),
        el("div", { className: "where" }, el("span", { className: "offsets", text: where }), " · ",
          el("a", { className: "reader-link", href: "reader.html#" + q.readerId, text: "read it in the essay" }))));
    });
    var out = [], inc = [];
    data.edges.forEach(function (e) {
      if (e.from === iri) out.push([e.name, e.to]);
      else if (e.to === iri) (e.symmetric ? out : inc).push([e.name, e.from]);
    });
    if (out.length) {
      panel.appendChild(section("It bears on"));
      panel.appendChild(el("ul", { id: "bears-on" }, ...out.map(function (r) {
        return el("li", {}, el("span", { className: "relation-name", text: r[0] + " " }),
          el("a", { href: claimHref(r[1]), text: data.info[r[1]].label }));
      })));
    }
    if (inc.length) {
      panel.appendChild(section("Claims that bear on it"));
      panel.appendChild(el("ul", { id: "borne-by" }, ...inc.map(function (r) {
        return el("li", {}, el("a", { href: claimHref(r[1]), text: data.info[r[1]].label }),
          el("span", { className: "relation-name", text: " " + r[0] + " it" }));
      })));
    }
  }

  function clearPanel() {
    selected = null;
    panel.textContent = "";
    panel.appendChild(el("p", { className: "hint", text: "Click a claim to see its paraphrase, its themes and the essay's own words it rests on." }));
  }

  function select(iri, bringIntoView) {
    if (!data.info[iri]) return false;
    selected = iri;
    network.selectNodes([iri]);
    showClaim(iri);
    if (bringIntoView) {
      network.focus(iri, { scale: Math.max(network.getScale(), readableScale), animation: false });
    }
    return true;
  }

  network.on("click", function (params) {
    if (params.nodes.length) select(params.nodes[0], false);
    else { network.unselectAll(); clearPanel(); }
  });
  document.getElementById("fit").addEventListener("click", function () { network.fit({ animation: false }); });
  document.getElementById("readable").addEventListener("click", readableView);

  // ------------------------------------------------------------------ deep link: argument.html#<claim IRI>
  function fromHash() {
    if (location.hash.length > 1) {
      var wanted;
      try { wanted = decodeURIComponent(location.hash.slice(1)); } catch (err) { return; }
      select(wanted, true);
    }
  }
  window.addEventListener("hashchange", fromHash);

  initialView();
  fromHash();

  window.argumentMap = {
    network: network, nodes: nodes, edges: edges, data: data, select: select, ready: true,
    readableScale: readableScale,
    selected: function () { return selected; },
    drawnNodes: function () { return network.body.nodeIndices.slice(); },
    // Nodes whose box is at least partly inside the canvas, with their rendered font size in px.
    visibleLabels: function () {
      var width = container.clientWidth, height = container.clientHeight, scale = network.getScale();
      return network.body.nodeIndices.filter(function (id) {
        var box = network.getBoundingBox(id);
        var a = network.canvasToDOM({ x: box.left, y: box.top }), b = network.canvasToDOM({ x: box.right, y: box.bottom });
        return b.x > 0 && a.x < width && b.y > 0 && a.y < height;
      }).map(function (id) {
        return { id: id, px: network.body.nodes[id].options.font.size * scale };
      });
    }
  };
})();
