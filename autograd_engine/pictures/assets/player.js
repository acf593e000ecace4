(function () {
  "use strict";
  var root = document.getElementById(ROOT_ID);
  if (!root || root.getAttribute("data-ready") === "1") return;
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script.agp-data").textContent);
  var prefix = data.prefix;
  var stage = root.querySelector('[data-role="stage"]');
  var drawing = root.querySelector('[data-role="drawing"]');
  var minimap = root.querySelector('[data-role="minimap"]');
  var counter = root.querySelector('[data-role="step"]');
  var explain = root.querySelector('[data-role="explain"]');
  var slider = root.querySelector('[data-role="slider"]');
  var playButton = root.querySelector('[data-action="play"]');
  var upButton = root.querySelector('[data-action="up"]');
  var exampleList = root.querySelector('[data-role="example"]');
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var timer = null;

  // -- a level: one drawing, its nodes, its steps --------------------------------------
  function makeLevel(kind, spec, svg, idPrefix) {
    var byId = {};
    var all = svg.querySelectorAll("[id]");
    for (var a = 0; a < all.length; a++) {
      var id = all[a].getAttribute("id");
      if (id.indexOf(idPrefix) === 0) byId[id.slice(idPrefix.length)] = all[a];
    }
    var table = kind === "network" ? spec.cards : spec.nodes;
    var nodes = table.map(function (d) {
      var g = byId[d.id];
      return {
        g: g, spec: d, card: kind === "network" || d.card,
        op: byId["op" + d.id.slice(1)] || null,
        value: g.querySelector('[data-field="value"]'),
        grad: g.querySelector('[data-field="grad"]')
      };
    });
    var edges = [];
    svg.querySelectorAll("g.edge").forEach(function (g) {
      edges.push({ g: g, id: g.getAttribute("id").slice(idPrefix.length),
                   labels: g.querySelectorAll("text") });
    });
    return { kind: kind, spec: spec, svg: svg, steps: spec.steps, n: spec.steps.length - 1,
             nodes: nodes, edges: edges, current: 0, view: null };
  }

  var mainSvg = drawing.querySelector("svg");
  var main = makeLevel(data.level, data.main, mainSvg, prefix);
  var level = main;
  var opLevels = {};

  function example() { return exampleList ? parseInt(exampleList.value, 10) : 0; }

  function show(k) {
    var L = level;
    k = Math.max(0, Math.min(L.n, k));
    L.current = k;
    var values = [], grads = [], states = [], revealed = {}, i, s;
    for (i = 0; i < L.nodes.length; i++) { values.push(""); grads.push(""); states.push(""); }
    var sel = example();
    for (s = 0; s <= k; s++) {
      var step = L.steps[s];
      for (i = 0; i < step.set.length; i++) {
        var c = step.set[i];
        if (c[1] === "v") {
          if (L.kind === "network") {
            var vs = L.nodes[c[0]].spec.values;
            values[c[0]] = vs.length > sel ? vs[sel] : vs[0];
          } else { values[c[0]] = c[2]; }
        }
        else if (c[1] === "g") { grads[c[0]] = c[2]; states[c[0]] = "final"; }
        else if (states[c[0]] !== "final") { grads[c[0]] = c[2]; states[c[0]] = "partial"; }
      }
      if (step.reveal) for (i = 0; i < step.reveal.length; i++) revealed[step.reveal[i]] = true;
    }
    var here = L.steps[k], lit = {};
    for (i = 0; i < here.edges.length; i++) lit[here.edges[i]] = true;
    var currentEls = [];
    // Only what changed is written: a big drawing re-lays out every text that is touched.
    for (i = 0; i < L.nodes.length; i++) {
      var node = L.nodes[i], isCurrent = here.node === i, was = node.last || {};
      var state = states[i] || "none";
      if (isCurrent) currentEls.push(node.g);
      if (was.value !== values[i]) {
        node.g.setAttribute("data-value", values[i]);
        if (node.value) {
          node.value.textContent = node.card ? "data " + (values[i] || "-") : (values[i] || "-");
        }
        node.g.classList.toggle("agp-pending", values[i] === "");
      }
      if (was.grad !== grads[i] || was.state !== state) {
        node.g.setAttribute("data-grad", grads[i]);
        node.g.setAttribute("data-grad-state", state);
        if (node.grad) {
          node.grad.textContent = "grad " + (grads[i] || "-");
          node.grad.classList.toggle("agp-partial", state === "partial");
        }
      }
      if (was.current !== isCurrent) {
        if (isCurrent) node.g.setAttribute("data-current", "true");
        else node.g.removeAttribute("data-current");
        node.g.classList.toggle("agp-current", isCurrent);
        if (node.op) node.op.classList.toggle("agp-current", isCurrent);
      }
      node.last = { value: values[i], grad: grads[i], state: state, current: isCurrent };
    }
    var litEls = [];
    L.edges.forEach(function (e) {
      var on = lit[e.id] === true, shown = revealed[e.id] === true;
      if (on) litEls.push(e.g);
      if (e.on !== on) { e.g.classList.toggle("agp-current", on); e.on = on; }
      if (e.shown !== shown) {
        for (var t = 0; t < e.labels.length; t++) e.labels[t].classList.toggle("agp-hidden", !shown);
        e.shown = shown;
      }
    });
    L.svg.classList.toggle("agp-forward", here.phase !== "backward");
    counter.textContent = k + " / " + L.n;
    explain.textContent = here.explain;
    slider.max = String(L.n);
    slider.value = String(k);
    follow(currentEls, litEls);
    if (k === L.n) pause();
  }

  // -- zoom, pan, follow ----------------------------------------------------------------
  var view = { s: 1, x: 0, y: 0 };
  function size() {
    var w = parseFloat(level.svg.getAttribute("width")) * 4 / 3;
    var h = parseFloat(level.svg.getAttribute("height")) * 4 / 3;
    return { w: w || level.svg.getBBox().width, h: h || level.svg.getBBox().height };
  }
  function apply(smooth) {
    drawing.style.transition = smooth && !reduced ? "transform 0.25s ease-out" : "none";
    drawing.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")";
    drawing.setAttribute("data-scale", view.s.toFixed(3));
    drawMinimap();
  }
  function fit() {
    var d = size(), W = stage.clientWidth, H = stage.clientHeight;
    var s = Math.min(1.5, (W - 16) / d.w, (H - 16) / d.h);
    view.s = Math.max(0.05, s);
    view.x = (W - d.w * view.s) / 2;
    view.y = Math.max(8, (H - d.h * view.s) / 2);
    apply(true);
  }
  function zoom(factor, cx, cy) {
    var W = stage.clientWidth, H = stage.clientHeight;
    if (cx === undefined) { cx = W / 2; cy = H / 2; }
    var s = Math.max(0.05, Math.min(4, view.s * factor));
    view.x = cx - (cx - view.x) * (s / view.s);
    view.y = cy - (cy - view.y) * (s / view.s);
    view.s = s;
    apply(true);
  }
  function boxOf(el) {
    // The element's box in drawing coordinates (unscaled), from its SVG bounding box.
    var b = el.getBBox(), m = el.getCTM(), sm = level.svg.getCTM();
    if (!m || !sm) return null;
    var rel = sm.inverse().multiply(m);
    var x1 = rel.a * b.x + rel.c * b.y + rel.e, y1 = rel.b * b.x + rel.d * b.y + rel.f;
    var x2 = rel.a * (b.x + b.width) + rel.c * (b.y + b.height) + rel.e;
    var y2 = rel.b * (b.x + b.width) + rel.d * (b.y + b.height) + rel.f;
    // SVG user units to CSS px of the unscaled drawing.
    var vb = level.svg.viewBox.baseVal, d = size();
    var kx = vb && vb.width ? d.w / vb.width : 1, ky = vb && vb.height ? d.h / vb.height : 1;
    var ox = vb ? vb.x : 0, oy = vb ? vb.y : 0;
    return { x1: (Math.min(x1, x2) - ox) * kx, y1: (Math.min(y1, y2) - oy) * ky,
             x2: (Math.max(x1, x2) - ox) * kx, y2: (Math.max(y1, y2) - oy) * ky };
  }
  var here = null;  // the centre of the current cards, drawn on the minimap
  function union(els, u) {
    els.forEach(function (el) {
      var b = boxOf(el);
      if (!b) return;
      if (!u) u = b;
      else u = { x1: Math.min(u.x1, b.x1), y1: Math.min(u.y1, b.y1),
                 x2: Math.max(u.x2, b.x2), y2: Math.max(u.y2, b.y2) };
    });
    return u;
  }
  function follow(els, arrows) {
    here = null;
    if (!els.length) { drawMinimap(); return; }
    var u = union(els, null);
    if (!u) return;
    here = { x: (u.x1 + u.x2) / 2, y: (u.y1 + u.y2) / 2 };
    var W = stage.clientWidth, H = stage.clientHeight, m = 24;
    // The cards with their arrows, when that fits at this scale; else the cards alone.
    var withArrows = arrows && arrows.length ? union(arrows, u) : u;
    if ((withArrows.x2 - withArrows.x1) * view.s <= W - 2 * m &&
        (withArrows.y2 - withArrows.y1) * view.s <= H - 2 * m) u = withArrows;
    var need = Math.min((W - 2 * m) / (u.x2 - u.x1 || 1), (H - 2 * m) / (u.y2 - u.y1 || 1));
    if (view.s > need) view.s = Math.max(0.05, need);
    var x1 = view.x + u.x1 * view.s, x2 = view.x + u.x2 * view.s;
    var y1 = view.y + u.y1 * view.s, y2 = view.y + u.y2 * view.s;
    if (x1 >= 0 && x2 <= W && y1 >= 0 && y2 <= H) { apply(false); return; }
    view.x = W / 2 - (u.x1 + u.x2) / 2 * view.s;
    view.y = H / 2 - (u.y1 + u.y2) / 2 * view.s;
    apply(true);
  }
  function pan(dx, dy) { view.x += dx; view.y += dy; apply(false); }
  function drawMinimap() {
    var d = size(), W = stage.clientWidth, H = stage.clientHeight;
    var big = d.w * view.s > W || d.h * view.s > H;
    minimap.hidden = !big;
    if (!big) return;
    var k = Math.min(160 / d.w, 110 / d.h);
    minimap.style.width = (d.w * k) + "px";
    minimap.style.height = (d.h * k) + "px";
    if (!minimap.firstChild) {
      minimap.appendChild(document.createElement("div"));
      var dot = document.createElement("span");
      minimap.appendChild(dot);
    }
    var box = minimap.firstChild, mark = minimap.lastChild;
    box.style.left = (-view.x / view.s * k) + "px";
    box.style.top = (-view.y / view.s * k) + "px";
    box.style.width = (W / view.s * k) + "px";
    box.style.height = (H / view.s * k) + "px";
    mark.hidden = here === null;
    if (here) {
      mark.style.left = (here.x * k - 3) + "px";
      mark.style.top = (here.y * k - 3) + "px";
    }
  }
  minimap.addEventListener("click", function (event) {
    var d = size(), r = minimap.getBoundingClientRect();
    var k = Math.min(160 / d.w, 110 / d.h);
    var px = (event.clientX - r.left) / k, py = (event.clientY - r.top) / k;
    view.x = stage.clientWidth / 2 - px * view.s;
    view.y = stage.clientHeight / 2 - py * view.s;
    apply(true);
  });
  var drag = null;
  stage.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || event.target.closest('[data-action]')) return;
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    drag.x = event.clientX; drag.y = event.clientY;
    pan(dx, dy);
  });
  window.addEventListener("pointerup", function () {
    if (drag && drag.moved) stage.setAttribute("data-dragged", "1");
    drag = null;
  });
  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) {
      var r = stage.getBoundingClientRect();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - r.left, event.clientY - r.top);
    } else {
      pan(-event.deltaX, -event.deltaY);
    }
  }, { passive: false });

  function opening() {
    // Fit when the whole drawing is readable at the fitted scale, else start at 1
    // (the minimap shows where the view is) and let the steps lead.
    var d = size(), W = stage.clientWidth, H = stage.clientHeight;
    var s = Math.min((W - 16) / d.w, (H - 16) / d.h);
    if (s >= 0.6) { fit(); return; }
    view.s = 1; view.x = 8; view.y = 8;
    apply(false);
  }

  // -- levels -----------------------------------------------------------------------------
  function enter(L) {
    if (level !== L) level.view = { s: view.s, x: view.x, y: view.y };
    level.svg.style.display = "none";
    level = L;
    L.svg.style.display = "";
    drawing.setAttribute("data-level", L.kind);
    if (upButton) upButton.hidden = L === main;
    if (L.view) { view = L.view; apply(false); } else { opening(); }
    show(L.current);
  }
  function expand(k) {
    var key = "c" + k + "e" + example();
    var spec = data.ops[key];
    if (!spec) {
      var have = Object.keys(data.ops).filter(function (x) { return x.indexOf("c" + k + "e") === 0; })
        .map(function (x) { return x.split("e").pop(); });
      explain.textContent = "The operations of " + main.nodes[k].spec.label + " are embedded for " +
        (have.length ? "example " + have.join(", ") : "no example") +
        " only: pick one in the list, or make the player with player(loss, examples=[" +
        example() + "]).";
      return;
    }
    if (!opLevels[key]) {
      var holder = document.createElement("div");
      var p = prefix + key + "-";
      holder.innerHTML = spec.svg.split('id="PREFIX').join('id="' + p);
      var svg = holder.querySelector("svg");
      drawing.appendChild(svg);
      opLevels[key] = makeLevel("op", spec, svg, p);
    }
    pause();
    enter(opLevels[key]);
  }
  if (main.kind === "network") {
    main.nodes.forEach(function (node, k) {
      if (node.spec.kind !== "neuron") return;
      node.g.addEventListener("click", function (event) {
        if (stage.getAttribute("data-dragged") === "1") { stage.removeAttribute("data-dragged"); return; }
        event.stopPropagation();
        expand(k);
      });
    });
  }
  stage.addEventListener("click", function () { stage.removeAttribute("data-dragged"); });
  if (exampleList) exampleList.addEventListener("change", function () {
    if (level === main) show(main.current);
    else {
      var key = Object.keys(opLevels).filter(function (x) { return opLevels[x] === level; })[0];
      var k = parseInt(key.slice(1), 10);
      enter(main); expand(k);
    }
  });

  // -- controls -----------------------------------------------------------------------------
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.setAttribute("aria-pressed", "false");
    playButton.textContent = "play";
  }
  function play() {
    if (timer !== null) { pause(); return; }
    if (level.current === level.n) show(0);
    playButton.setAttribute("aria-pressed", "true");
    playButton.textContent = "pause";
    timer = setInterval(function () { show(level.current + 1); }, 800);
  }
  var actions = {
    first: function () { pause(); show(0); },
    prev: function () { pause(); show(level.current - 1); },
    next: function () { pause(); show(level.current + 1); },
    last: function () { pause(); show(level.n); },
    play: play,
    "zoom-in": function () { zoom(1.25); },
    "zoom-out": function () { zoom(1 / 1.25); },
    fit: fit,
    up: function () { pause(); enter(main); }
  };
  root.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      actions[b.getAttribute("data-action")]();
      // Keep keys for the player (Space must not press this button again).
      root.focus({ preventScroll: true });
    });
  });
  slider.addEventListener("input", function () { pause(); show(parseInt(slider.value, 10)); });
  var keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last", " ": "play",
               "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "0": "fit", Escape: "up" };
  // Keys with nothing focused go to one widget of the page, players and training replays
  // (.rp) alike: the one last clicked or focused in, else the first on the page; a key
  // inside a widget goes to the innermost (a replay embeds a player).
  function keyOwner() {
    var id = document.documentElement.getAttribute("data-keys");
    return (id && document.getElementById(id)) || document.querySelector(".agp, .rp");
  }
  function claim(event) {
    var t = event.target;
    if (t && t.closest && t.closest(".agp, .rp") === root) {
      document.documentElement.setAttribute("data-keys", root.id);
    }
  }
  root.addEventListener("pointerdown", claim, true);
  root.addEventListener("focusin", claim);
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    var mine = !!(t && t.closest && t.closest(".agp, .rp") === root);
    var free = t === document.body || t === document.documentElement || t === null;
    if (!(mine || (free && keyOwner() === root))) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.shiftKey && event.key.indexOf("Arrow") === 0) {
      var d = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] }[event.key];
      event.preventDefault();
      pan(d[0], d[1]);
      return;
    }
    var action = keys[event.key];
    if (!action) return;
    if (t === slider && action !== "play") return;  // the slider moves itself
    if (t === exampleList && action !== "play") return;
    if (action === "up" && level === main) return;
    event.preventDefault();
    actions[action]();
  });
  // A link can open the page's first player (or replay) at a step: page.html#step=12; a link to
  // another step on the same page (a changed #step=k) moves it there.
  function wantedStep() {
    var wanted = /(?:^#|&)step=(\d+)/.exec(window.location.hash || "");
    return wanted && document.querySelector(".agp, .rp") === root ? parseInt(wanted[1], 10) : null;
  }
  var opened = wantedStep();
  main.current = opened === null ? 0 : opened;
  enter(main);
  if (data.main.open && opened === null) {
    // The page was made to open at one neuron's operations (player(..., expand=label)).
    var e = data.main.open.split("e").pop();
    if (exampleList) exampleList.value = e;
    expand(parseInt(data.main.open.slice(1), 10));
  }
  // Numbers from outside (a training replay feeds each example and step this way):
  // root.agpNumbers({values: [[text per example] per card], steps: [{set, explain} per
  // step]}, refit) keeps the cards and their layout, replaces the network level's
  // numbers and explanations (in the format of data.main) and shows them at the current
  // step (or at numbers.step); refit (the view was hidden until now) fits the drawing to
  // the stage again.
  if (main.kind === "network") root.agpNumbers = function (numbers, refit) {
    main.nodes.forEach(function (node, i) { node.spec.values = numbers.values[i]; node.last = null; });
    numbers.steps.forEach(function (s, i) { main.steps[i].set = s.set; main.steps[i].explain = s.explain; });
    if (level !== main) enter(main);
    if (refit) opening();
    show(numbers.step === undefined ? main.current : numbers.step);
  };
  window.addEventListener("hashchange", function () {
    var k = wantedStep();
    if (k !== null) { pause(); if (level !== main) enter(main); show(k); }
  });
  window.addEventListener("resize", function () { drawMinimap(); });
})();
