/* The annotated reader's behaviour; inlined into the page by essaykg/view/reader.py.
   Every piece of text reaches the DOM through textContent (see el()), never through innerHTML.
   window.essayReader exposes the state to the browser tests. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("reader-data").textContent);
  var anchors = data.anchors;
  var text = document.getElementById("text");
  var panel = document.getElementById("panel");
  var hidden = {};
  var selected = null;   // the anchor clicked or linked to (kept until another is chosen)
  var shownOthers = [];
  var hovered = null;

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
  function pieces(name) {
    return Array.prototype.filter.call(text.querySelectorAll(".hl"), function (node) {
      return node.getAttribute("data-anchor") === name;
    });
  }
  function visible(name) {
    var kinds = anchors[name].kinds;
    return kinds.length === 0 || kinds.some(function (k) { return !hidden[k]; });
  }

  // The anchors under a node, innermost first; the pick is the shortest visible one.
  function under(node) {
    var names = [];
    for (; node && node !== text; node = node.parentNode) {
      if (node.nodeType === 1 && node.hasAttribute("data-anchor")) {
        var name = node.getAttribute("data-anchor");
        if (names.indexOf(name) < 0 && visible(name)) names.push(name);
      }
    }
    return names;
  }
  function pick(names) {
    var best = null;
    names.forEach(function (name) {
      if (best === null || anchors[name].length < anchors[best].length) best = name;
    });
    return best;
  }

  // ------------------------------------------------------------------ the side panel
  function link(href, label) { return el("a", { href: href }, label); }
  function item(label, rest) {
    var box = el("div", { className: "item" }, el("div", { className: "label", text: label }));
    rest.forEach(function (r) { if (r) box.appendChild(r); });
    return box;
  }
  function links() {
    var box = el("p", { className: "links" });
    for (var i = 0; i < arguments.length; i += 2) box.appendChild(link(arguments[i], arguments[i + 1]));
    return box;
  }
  function show(name, others) {
    var a = anchors[name];
    var parts = [];
    parts.push(el("p", { className: "kinds", text: a.kinds.length ? a.kinds.map(function (k) { return data.kinds[k]; }).join(" · ") : "Anchor" }));
    parts.push(el("blockquote", { className: "exact", text: a.exact }));
    if (a.claims.length) {
      parts.push(el("h3", { text: "Evidence for the claim" + (a.claims.length > 1 ? "s" : "") }));
      a.claims.forEach(function (c) {
        parts.push(item(c.label, [
          c.paraphrase ? el("p", { className: "paraphrase", text: c.paraphrase }) : null,
          c.stance ? el("p", { className: "stance", text: "stance: " + c.stance }) : null,
          links("argument.html#" + encodeURIComponent(c.iri), "in the argument map",
                "graph.html#" + encodeURIComponent(c.iri), "in the graph")]));
      });
    }
    if (a.quotations.length) {
      parts.push(el("h3", { text: "Quotation" + (a.quotations.length > 1 ? "s" : "") }));
      a.quotations.forEach(function (q) {
        parts.push(item(q.label, [
          q.text ? el("p", { className: "quote-text", text: "“" + q.text + "”" }) : null,
          q.speakers.length ? el("p", { className: "speaker", text: "said by " + q.speakers.join(", ") }) : null,
          q.sources.length ? el("p", { className: "source", text: "source: " + q.sources.join(", ") }) : null,
          links("graph.html#" + encodeURIComponent(q.iri), "in the graph")]));
      });
    }
    if (a.facts.length) {
      parts.push(el("h3", { text: "Film fact" + (a.facts.length > 1 ? "s" : "") }));
      a.facts.forEach(function (f) {
        // headed by what it says (its description), not by its name; what it is about links to the graph
        var box = item(f.heading, [f.entities.length ? el("p", { className: "links entities" }) : null]);
        box.firstChild.classList.add("description");
        if (f.entities.length) {
          var p = box.querySelector(".entities");
          p.appendChild(document.createTextNode("about "));
          f.entities.forEach(function (e, i) {
            if (i) p.appendChild(document.createTextNode(" · "));
            p.appendChild(link("graph.html#" + encodeURIComponent(e.iri), e.label));
          });
        }
        parts.push(box);
      });
    }
    if (a.mentions.length) {
      parts.push(el("h3", { text: "Mention" + (a.mentions.length > 1 ? "s" : "") }));
      a.mentions.forEach(function (m) {
        parts.push(item(m.label, [el("p", { className: "entity-kind", text: m.kind }),
                                  links("graph.html#" + encodeURIComponent(m.entity), "in the graph")]));
      });
    }
    parts.push(el("p", { className: "where" },
      el("span", { className: "offsets", text: "characters " + a.start + "–" + a.end }),
      " (Unicode code points, end exclusive) · paragraph " + a.paragraph + " · ",
      el("a", { className: "permalink", href: "reader.html#" + encodeURIComponent(name) }, "permalink")));
    if (others && others.length) {
      parts.push(el("h3", { text: "Also here" }));
      var ul = el("ul", { className: "others" });
      others.forEach(function (o) {
        var b = el("button", { type: "button", className: "other", "data-anchor": o, text: anchors[o].exact });
        b.addEventListener("click", function () { select(o, true); });
        ul.appendChild(el("li", null, b, " (" + anchors[o].kinds.map(function (k) { return data.kinds[k]; }).join(", ") + ")"));
      });
      parts.push(ul);
    }
    panel.replaceChildren.apply(panel, parts);
    panel.setAttribute("data-anchor", name);
  }
  function showSelected() {
    if (selected) show(selected, shownOthers);
    else {
      panel.replaceChildren(el("p", { className: "hint", text: "Hover over or click a highlighted passage to see what the graph holds there." }));
      panel.removeAttribute("data-anchor");
    }
  }
  function mark(name, cls) {
    Array.prototype.forEach.call(text.querySelectorAll("." + cls), function (n) { n.classList.remove(cls); });
    if (name) pieces(name).forEach(function (n) { n.classList.add(cls); });
  }
  function select(name, scroll, others) {
    selected = name;
    shownOthers = others || [];
    mark(name, "selected");
    markParagraph(null);
    show(name, shownOthers);
    if (scroll) pieces(name)[0].scrollIntoView({ block: "center" });
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  }
  function markParagraph(id) {
    Array.prototype.forEach.call(text.querySelectorAll(".para.marked"), function (n) { n.classList.remove("marked"); });
    if (id) document.getElementById(id).classList.add("marked");
  }

  // ------------------------------------------------------------------ pointer
  text.addEventListener("mouseover", function (event) {
    var names = under(event.target);
    var name = pick(names);
    if (name === hovered) return;
    hovered = name;
    mark(name, "hovered");
    if (name) show(name, names.filter(function (n) { return n !== name; }));
    else showSelected();
  });
  text.addEventListener("mouseleave", function () { hovered = null; mark(null, "hovered"); showSelected(); });
  text.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a")) return;
    var names = under(event.target);
    var name = pick(names);
    if (name) select(name, false, names.filter(function (n) { return n !== name; }));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && selected) {
      selected = null; shownOthers = [];
      mark(null, "selected");
      showSelected();
    }
  });

  // ------------------------------------------------------------------ kind toggles
  Array.prototype.forEach.call(document.querySelectorAll("input[data-kind]"), function (box) {
    box.addEventListener("change", function () {
      var kind = box.getAttribute("data-kind");
      hidden[kind] = !box.checked;
      document.body.classList.toggle("hide-" + kind, !box.checked);
    });
  });

  // ------------------------------------------------------------------ deep links: #pN, #<anchor>
  function follow() {
    if (location.hash.length < 2) return;
    var wanted = decodeURIComponent(location.hash.slice(1));
    if (Object.prototype.hasOwnProperty.call(anchors, wanted)) {
      if (wanted !== selected) select(wanted, true);
    } else if (/^p[0-9]+$/.test(wanted) && document.getElementById(wanted)) {
      markParagraph(wanted);
      document.getElementById(wanted).scrollIntoView({ block: "start" });
    }
  }
  window.addEventListener("hashchange", follow);
  follow();

  window.essayReader = {
    data: data,
    select: function (name) { select(name, true); },
    selected: function () { return selected; },
    shown: function () { return panel.getAttribute("data-anchor"); },
    marked: function () { var p = text.querySelector(".para.marked"); return p ? p.id : null; },
    ready: true
  };
})();
