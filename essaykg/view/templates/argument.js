// The argument map's script; inlined into the page by essaykg/view/argument_map.py. No eval, no inline
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

  // Boxes in canvas units, measured once drawn.
  function boxes() {
    return network.body.nodeIndices.map(function (id) {
      var b = network.getBoundingBox(id);
      return { id: id, layer: data.info[id].layer,
               left: b.left, right: b.right, upper: b.top, lower: b.bottom };
    });
  }
  // How a view (scale, and the canvas point at the view's top left corner) meets the boxes: how many
  // are cut by an edge, how many are whole inside, and how many of the top two rows (the thesis,
  // the conclusion and the thesis's supporters) are not whole inside.
  function score(all, scale, x0, y0, width, height) {
    var x1 = x0 + width / scale, y1 = y0 + height / scale, cut = 0, whole = 0, topMissing = 0;
    all.forEach(function (b) {
      var inside = b.left >= x0 && b.right <= x1 && b.upper >= y0 && b.lower <= y1;
      var some = b.right > x0 && b.left < x1 && b.lower > y0 && b.upper < y1;
      if (inside) whole++; else if (some) cut++;
      if (b.layer <= 1 && !inside) topMissing++;
    });
    return [topMissing, cut, -whole, scale];
  }
  function better(a, b) {
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }
  // The readable view: a scale at or above the readable one, the top of the map at the top, and the
  // canvas's edges put where they cut the fewest boxes (between columns, between rows), the top two
  // rows whole inside when they can be.
  function readableView() {
    var top = topNode();
    if (!top) return;
    var width = container.clientWidth, height = container.clientHeight, all = boxes();
    var thesis = network.getBoundingBox(top.id);
    var xs = data.nodes.map(function (n) { return n.x; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var best = null, bestView = null;
    for (var scale = readableScale; scale <= readableScale * 1.6; scale += 0.01) {
      var half = width / (2 * scale);
      for (var cx = Math.max(minX, top.x - 600); cx <= Math.min(maxX, top.x + 600); cx += 10) {
        for (var margin = 6; margin <= 66; margin += 10) {
          var x0 = cx - half, y0 = thesis.top - margin / scale;
          var s = score(all, scale, x0, y0, width, height).concat([Math.abs(cx - top.x), margin]);
          if (best === null || better(s, best)) { best = s; bestView = { scale: scale, x: cx, y: y0 + height / (2 * scale) }; }
        }
      }
    }
    network.moveTo({ position: { x: bestView.x, y: bestView.y }, scale: bestView.scale, animation: false });
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
        el("div", { className: "where" }, el("span", { className: "offsets", text: where }),
          // the reader is built only with the essay's text: no link to a page that is not there
          data.reader ? " · " : null,
          data.reader ? el("a", { className: "reader-link", href: "reader.html#" + q.readerId, text: "read it in the essay" }) : null)));
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

  // The address names the selected claim (#<IRI>, encoded as the deep link reads it), so that Back
  // from the reader or the graph view comes back to it; replaceState fires no hashchange.
  function remember(iri) {
    var hash = iri ? claimHref(iri) : "";
    if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname + location.search);
  }

  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], false); remember(params.nodes[0]); }
    else { network.unselectAll(); clearPanel(); remember(null); }
  });
  document.getElementById("fit").addEventListener("click", function () { network.fit({ animation: false }); });
  document.getElementById("readable").addEventListener("click", readableView);

  // ------------------------------------------------------------------ deep link: argument.html#<claim IRI>
  // The full IRI, or its prefixed name (claim:limits-to-connection, as the graph view shows it).
  function expand(name) {
    if (data.info[name]) return name;
    var m = /^([A-Za-z][\w.\-]*):([^\/]*)$/.exec(name);
    if (m && Object.prototype.hasOwnProperty.call(data.prefixes, m[1])) return data.prefixes[m[1]] + m[2];
    return name;
  }
  function notFound(name) {
    selected = null;
    network.unselectAll();
    panel.textContent = "";
    panel.appendChild(el("p", { id: "not-found", className: "missing" }, "There is no claim ", el("code", { text: name }),
      " in this map. Click a claim to see it."));
  }
  function fromHash() {
    if (location.hash.length > 1) {
      var wanted;
      try { wanted = decodeURIComponent(location.hash.slice(1)); } catch (err) { wanted = location.hash.slice(1); }
      if (!select(expand(wanted), true)) notFound(wanted);
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
