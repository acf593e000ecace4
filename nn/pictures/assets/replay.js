(function () {
  "use strict";
  var root = document.getElementById(ROOT_ID);
  if (!root || root.getAttribute("data-ready") !== null) return;
  root.setAttribute("data-ready", "0");
  var D = JSON.parse(root.querySelector("script.rp-data").textContent);
  var S = D.steps.length, P = D.labels.length, last = D.steps[S - 1];
  var SVGNS = "http://www.w3.org/2000/svg";

  // -- numbers: base64 -> inflate -> unshuffle -> Float64Array / Float32Array --------
  var DIGITS = {}, ALPHABET = D.alphabet;
  for (var a = 0; a < ALPHABET.length; a++) DIGITS[ALPHABET.charAt(a)] = a;
  function bytes(text) {  // "n:base85" -> n bytes (5 digits, big-endian, per 4 bytes)
    var colon = text.indexOf(":"), n = parseInt(text.slice(0, colon), 10), body = text.slice(colon + 1);
    var out = new Uint8Array(body.length / 5 * 4), o = 0;
    for (var i = 0; i < body.length; i += 5) {
      var v = 0;
      for (var j = 0; j < 5; j++) v = v * 85 + DIGITS[body.charAt(i + j)];
      out[o++] = (v >>> 24) & 255; out[o++] = (v >>> 16) & 255; out[o++] = (v >>> 8) & 255; out[o++] = v & 255;
    }
    return out.subarray(0, n);
  }
  function floats(text, width) {
    var stream = new Blob([bytes(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buf) {
      var src = new Uint8Array(buf), n = src.length / width, out = new Uint8Array(src.length);
      for (var j = 0; j < width; j++) {
        var off = j * n;
        for (var i = 0; i < n; i++) out[i * width + j] = src[off + i];
      }
      return width === 8 ? new Float64Array(out.buffer) : new Float32Array(out.buffer);
    });
  }
  var N = {}, jobs = [];
  function load(path, text, width) {
    jobs.push(floats(text, width).then(function (a) {
      var o = N;
      for (var i = 0; i < path.length - 1; i++) { o[path[i]] = o[path[i]] || {}; o = o[path[i]]; }
      o[path[path.length - 1]] = a;
    }));
  }
  load(["data"], D.numbers.data, 8);
  load(["grad"], D.numbers.grad, 8);
  var stateNames = Object.keys(D.numbers.state);
  var ORDER = ["step", "momentum_buffer", "sum", "square_avg", "grad_avg", "exp_avg",
               "exp_avg_sq", "max_exp_avg_sq"];
  stateNames.sort(function (a, b) { return ORDER.indexOf(a) - ORDER.indexOf(b); });
  stateNames.forEach(function (k) { load(["state", k], D.numbers.state[k], 8); });
  Object.keys(D.before).forEach(function (r) {
    load(["before", r, "data"], D.before[r].data, 8);
    Object.keys(D.before[r].state).forEach(function (k) {
      load(["before", r, "state", k], D.before[r].state[k], 8);
    });
  });
  Object.keys(D.traces).forEach(function (i) { load(["traces", i], D.traces[i], 4); });
  // The player's network view of a traced example, deflated: inflated and inserted (its
  // script run) before the page starts.
  var packedView = root.querySelector("script.rp-view");
  if (packedView) {
    var viewStream = new Blob([bytes(packedView.textContent)]).stream()
      .pipeThrough(new DecompressionStream("deflate"));
    jobs.push(new Response(viewStream).text().then(function (markup) {
      var holder = document.createElement("div");
      holder.innerHTML = markup;
      var player = holder.firstElementChild;
      packedView.parentNode.appendChild(player);
      player.querySelectorAll("script").forEach(function (old) {
        if (old.type === "application/json") return;
        var run = document.createElement("script");
        run.textContent = old.textContent;
        old.parentNode.replaceChild(run, old);
      });
    }));
  }

  // -- helpers ------------------------------------------------------------------------
  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(x) {
    if (x === null || x === undefined || isNaN(x)) return "-";
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e-4 && a < 1e6) return String(Number(x.toPrecision(4)));
    return x.toExponential(3).replace(/\.?0+e/, "e");
  }
  function full(x) { return (x === null || x === undefined || isNaN(x)) ? "" : String(x); }
  function value(p, r) { return N.data[p * S + r]; }
  function gradient(p, r) { return N.grad[p * S + r]; }
  function state(name, p, r) { return N.state[name][p * S + r]; }
  function previous(p, r) {
    // The parameter and its state just before update steps[r], or null at step 0.
    if (D.steps[r] === 0) return null;
    var out = { state: {} };
    if (r > 0 && D.steps[r - 1] === D.steps[r] - 1) {
      out.data = value(p, r - 1);
      stateNames.forEach(function (k) { out.state[k] = state(k, p, r - 1); });
      return out;
    }
    var b = N.before && N.before[String(r)];
    if (!b) return null;
    out.data = b.data[p];
    stateNames.forEach(function (k) { out.state[k] = b.state && b.state[k] ? b.state[k][p] : NaN; });
    return out;
  }

  // -- the network: layers of neurons, weights as edges ---------------------------------
  var arch = D.arch, layers = [], paramEls = [], hitEls = [];
  var netSvg = root.querySelector('[data-role="network"]');
  function buildNetwork() {
    if (!arch) {
      el("text", { x: 10, y: 20 }, netSvg).textContent =
        "(the network view needs an nn MLP; " + P + " parameters recorded)";
      netSvg.setAttribute("viewBox", "0 0 600 40");
      return;
    }
    var sizes = [arch.nin].concat(arch.nouts), widest = Math.max.apply(null, sizes);
    var W = 860, gap = Math.max(21, Math.min(44, 340 / widest)), H = widest * gap + 16;
    netSvg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var xs = sizes.map(function (_, k) { return 40 + k * (W - 150) / (sizes.length - 1); });
    var pos = sizes.map(function (n, k) {
      var top = (H - (n - 1) * gap) / 2, out = [];
      for (var j = 0; j < n; j++) out.push([xs[k], top + j * gap]);
      return out;
    });
    var gEdges = el("g", {}, netSvg), gHits = el("g", {}, netSvg), gNodes = el("g", {}, netSvg);
    var p = 0;
    for (var k = 1; k < sizes.length; k++) {
      var layer = { neurons: [] };
      for (var j = 0; j < sizes[k]; j++) {
        var neuron = { weights: [], bias: 0 };
        for (var i = 0; i < sizes[k - 1]; i++) {
          var a = pos[k - 1][i], b = pos[k][j];
          var line = el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], "data-param": p,
                                  "data-label": D.labels[p], "data-value": "", "data-grad": "" }, gEdges);
          var hit = el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], "data-param": p,
                                 "class": "rp-hit" }, gHits);
          el("title", {}, hit).textContent = D.labels[p];
          paramEls[p] = line; hitEls[p] = hit;
          neuron.weights.push(p++);
        }
        var c = pos[k][j];
        var g = el("g", { "class": "rp-neuron", "data-param": p, "data-label": D.labels[p],
                          "data-value": "", "data-grad": "" }, gNodes);
        el("circle", { cx: c[0], cy: c[1], r: Math.min(10, gap / 3), fill: "#fff", stroke: "#555" }, g);
        var t1 = el("text", { x: c[0] + 12, y: c[1] - 1 }, g);
        var t2 = el("text", { x: c[0] + 12, y: c[1] + 9 }, g);
        el("title", {}, g).textContent = D.labels[p] + " (bias)";
        paramEls[p] = g; neuron.bias = p; neuron.text = [t1, t2]; neuron.circle = g.firstChild;
        p++;
        layer.neurons.push(neuron);
      }
      layers.push(layer);
    }
    for (var i2 = 0; i2 < arch.nin; i2++) {
      var q = pos[0][i2];
      el("circle", { cx: q[0], cy: q[1], r: 8, fill: "#eee", stroke: "#555" }, gNodes);
      el("text", { x: q[0] - 34, y: q[1] + 3 }, gNodes).textContent = "x" + i2;
    }
  }
  var wmax = 1e-12;
  function scaleWeights() {
    if (!arch) return;
    layers.forEach(function (l) {
      l.neurons.forEach(function (n) {
        n.weights.forEach(function (p) {
          for (var r = 0; r < S; r++) wmax = Math.max(wmax, Math.abs(value(p, r)));
        });
      });
    });
  }
  function drawNetwork(r) {
    for (var p = 0; p < P; p++) {
      var e = paramEls[p];
      if (!e) continue;
      e.setAttribute("data-value", full(value(p, r)));
      e.setAttribute("data-grad", full(gradient(p, r)));
    }
    if (!arch) return;
    layers.forEach(function (l) {
      l.neurons.forEach(function (n) {
        n.weights.forEach(function (p) {
          var w = value(p, r), s = Math.min(1, Math.abs(w) / wmax);
          var line = paramEls[p], look = (w >= 0 ? "#2166ac" : "#b2182b") + (0.4 + 4.6 * s).toFixed(1);
          if (line._look !== look) {  // only what changed: a step moves few edges visibly
            line._look = look;
            line.setAttribute("stroke", w >= 0 ? "#2166ac" : "#b2182b");
            line.setAttribute("stroke-width", (0.4 + 4.6 * s).toFixed(1));
            line.setAttribute("stroke-opacity", (0.25 + 0.75 * s).toFixed(1));
          }
        });
        var b = value(n.bias, r), g = gradient(n.bias, r);
        n.text[0].textContent = "b " + fmt(b);
        n.text[1].textContent = "g " + fmt(g);
        n.circle.setAttribute("fill", b >= 0 ? "#d1e5f0" : "#fddbc7");
      });
    });
  }

  // -- loss and learning-rate charts ------------------------------------------------
  var lossSvg = root.querySelector('[data-role="loss-chart"]');
  var lrSvg = root.querySelector('[data-role="lr-chart"]');
  function chart(svgEl, series, W, H, title, logScale) {
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (s) {
      s.values.forEach(function (v) {
        if (v === null || !isFinite(v) || (logScale && v <= 0)) return;
        var t = logScale ? Math.log10(v) : v;
        lo = Math.min(lo, t); hi = Math.max(hi, t);
      });
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12) { hi = lo + 1; }
    var L = 44, R = 8, T = 16, B = 18;
    function X(step) { return L + (W - L - R) * (last ? step / last : 0); }
    function Y(v) { var t = logScale ? Math.log10(v) : v; return T + (H - T - B) * (hi - t) / (hi - lo); }
    el("text", { x: L, y: 11 }, svgEl).textContent = title;
    el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" }, svgEl);
    el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#999" }, svgEl);
    [lo, hi].forEach(function (t) {
      var v = logScale ? Math.pow(10, t) : t;
      el("text", { x: 2, y: Y(v) + 3 }, svgEl).textContent = fmt(v);
    });
    el("text", { x: W - R - 30, y: H - 4 }, svgEl).textContent = "step " + last;
    series.forEach(function (s) {
      var pts = [];
      s.values.forEach(function (v, r) {
        if (v !== null && isFinite(v) && !(logScale && v <= 0)) pts.push(X(D.steps[r]).toFixed(1) + "," + Y(v).toFixed(1));
      });
      el("polyline", { points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": 1.2 }, svgEl);
    });
    var cursor = el("line", { y1: T, y2: H - B, stroke: "#d9480f", "stroke-width": 1.5 }, svgEl);
    var label = el("text", { y: T + 10 }, svgEl);
    return function (r) {
      var x = X(D.steps[r]);
      cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
      label.setAttribute("x", Math.min(x + 4, W - 150));
      label.textContent = series.map(function (s) { return s.name + " " + fmt(s.at(r)); }).join("  ");
    };
  }
  var cursors = [];
  function buildCharts() {
    var val = D.val_loss.some(function (v) { return v !== null; });
    var series = [{ name: "batch loss", color: "#1f77b4", values: D.loss,
                    at: function (r) { return D.loss[r]; } }];
    if (val) {
      var vals = D.val_loss;
      series.push({ name: "val loss", color: "#d62728", values: vals, at: function (r) {
        for (var q = r; q >= 0; q--) if (vals[q] !== null) return vals[q];
        return null;
      } });
    }
    cursors.push(chart(lossSvg, series, 420, 190, "loss (log scale): batch (blue)" +
                       (val ? ", validation (red)" : ""), true));
    var lrs = D.lr.map(function (row) { return row[0]; });
    var changes = lrs.some(function (v) { return v !== lrs[0]; });
    if (changes) {
      cursors.push(chart(lrSvg, [{ name: "lr", color: "#2ca02c", values: lrs,
                                   at: function (r) { return lrs[r]; } }], 420, 90, "learning rate", false));
    } else {
      lrSvg.parentNode.removeChild(lrSvg);
    }
  }

  // -- the decision boundary: the recorded MLP evaluated on a grid, in the page --------
  var box = root.querySelector(".rp-boundary-box"), canvas = null, ctx = null, image = null;
  var points = [];
  var ACT = {
    relu: function (z) { return z > 0 ? z : 0; },
    leaky_relu: function (z) { return z > 0 ? z : 0.01 * z; },
    tanh: Math.tanh,
    sigmoid: function (z) { return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)); },
    linear: function (z) { return z; }
  };
  var lo0, hi0, lo1, hi1, G = D.grid, BLUE = [33, 102, 172], RED = [214, 96, 77];
  function forward(r, x) {
    var h = x, p = 0;
    for (var k = 0; k < arch.nouts.length; k++) {
      var act = ACT[k === arch.nouts.length - 1 ? arch.output_activation : arch.activation];
      var out = new Array(arch.nouts[k]);
      for (var j = 0; j < arch.nouts[k]; j++) {
        var s = 0;
        for (var i = 0; i < h.length; i++) s += N.data[(p++) * S + r] * h[i];
        out[j] = act(s + N.data[(p++) * S + r]);
      }
      h = out;
    }
    return h[0];
  }
  function probability(out) {
    // The loss's declared class edge: 0.5, outputs are probabilities; else a score's sign.
    return D.threshold === 0.5 ? out : 1 / (1 + Math.exp(-(out - D.threshold)));
  }
  function positive(t) { return Number(Array.isArray(t) ? t[0] : t) > 0; }
  function buildBoundary() {
    if (!D.boundary) { box.parentNode.removeChild(box); box = null; return; }
    var all = D.X.concat(D.X_val || []);
    var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
    lo0 = Math.min.apply(null, xs); hi0 = Math.max.apply(null, xs);
    lo1 = Math.min.apply(null, ys); hi1 = Math.max.apply(null, ys);
    var pad0 = 0.1 * (hi0 - lo0) || 1, pad1 = 0.1 * (hi1 - lo1) || 1;
    lo0 -= pad0; hi0 += pad0; lo1 -= pad1; hi1 += pad1;
    box.className = "rp-boundary";
    box.setAttribute("data-role", "boundary");
    var caption = document.createElement("div");
    caption.className = "rp-caption";
    caption.textContent = "the model's output p on a " + G + " x " + G + " grid: blue p > 0.5, red p < 0.5, " +
      "white the boundary; dots training, squares validation; ringed dots are traced (click one)";
    box.parentNode.insertBefore(caption, box.nextSibling);
    canvas = document.createElement("canvas");
    canvas.width = G; canvas.height = G;
    box.appendChild(canvas);
    ctx = canvas.getContext("2d");
    image = ctx.createImageData(G, G);
    var svg = el("svg", { viewBox: "0 0 420 420" });
    box.appendChild(svg);
    function px(p) { return [420 * (p[0] - lo0) / (hi0 - lo0), 420 * (hi1 - p[1]) / (hi1 - lo1)]; }
    D.X.forEach(function (p, i) {
      var q = px(p), traced = D.traces[String(i)] !== undefined;
      var c = el("circle", { cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: traced ? 5 : 3.6,
                             fill: positive(D.y[i]) ? "#2166ac" : "#d6604d",
                             "class": "rp-point" + (traced ? " rp-traced" : ""), "data-index": i }, svg);
      el("title", {}, c).textContent = "example " + i + (traced ? " (traced: click)" : "");
      points.push(c);
    });
    (D.X_val || []).forEach(function (p, i) {
      var q = px(p);
      el("rect", { x: (q[0] - 3).toFixed(1), y: (q[1] - 3).toFixed(1), width: 6, height: 6,
                   fill: positive(D.y_val[i]) ? "#2166ac" : "#d6604d", "class": "rp-point",
                   opacity: 0.8 }, svg);
    });
    svg.addEventListener("click", function (event) {
      var i = event.target.getAttribute("data-index");
      if (i !== null) chooseExample(parseInt(i, 10));
    });
  }
  function drawBoundary(r) {
    if (!box) return;
    var d = image.data;
    for (var a = 0; a < G; a++) {
      var yv = hi1 - (hi1 - lo1) * (a + 0.5) / G;
      for (var b = 0; b < G; b++) {
        var xv = lo0 + (hi0 - lo0) * (b + 0.5) / G;
        var p = probability(forward(r, [xv, yv])), o = 4 * (a * G + b);
        if (!(p >= 0)) p = 0.5;
        p = Math.max(0, Math.min(1, p));
        // red (class 0) through white (p = 0.5, drawn darker: the boundary) to blue (class 1)
        var t = Math.abs(p - 0.5) * 2, c = p >= 0.5 ? BLUE : RED;
        d[o] = 255 + (c[0] - 255) * t;
        d[o + 1] = 255 + (c[1] - 255) * t;
        d[o + 2] = 255 + (c[2] - 255) * t;
        d[o + 3] = 190;
      }
    }
    ctx.putImageData(image, 0, 0);
    box.setAttribute("data-step", String(D.steps[r]));
  }

  // -- the parameter panel: the update of this step, with its numbers ------------------
  var panel = root.querySelector('[data-role="param-panel"]'), selected = null;
  function line(name, formula, numbers, result) {
    return name + " = " + formula + (numbers ? "\n    = " + numbers : "") + "\n    = " + fmt(result);
  }
  function updateText(p, r) {
    var h = D.hyper[D.group_of[p]] || {}, before = previous(p, r);
    var g = gradient(p, r), now = value(p, r), lr = D.lr[r][D.group_of[p]];
    if (!before) {
      return D.steps[r] === 0 ? "step 0: the initial value; no update yet." :
        "the value before this update was not recorded (every=" + D.every + ").";
    }
    var w = before.data, st = before.state, out = [], o = D.optimizer;
    function S_(k) { return state(k, p, r); }
    out.push("grad g = " + fmt(g) + " (d loss / d " + D.labels[p] + " of this step's batch)");
    var gg = g;
    if (h.maximize) { gg = -g; out.push("maximize: g = -g = " + fmt(gg)); }
    if (o === "SGD") {
      if (h.weight_decay) { var g2 = gg + h.weight_decay * w;
        out.push(line("g", "g + weight_decay*p", fmt(gg) + " + " + h.weight_decay + "*" + fmt(w), g2)); gg = g2; }
      if (h.momentum) {
        var buf = S_("momentum_buffer"), old = st.momentum_buffer;
        if (isNaN(old)) out.push("momentum_buffer = g = " + fmt(buf) + "   (first step)");
        else out.push(line("momentum_buffer", "momentum*buf + (1-dampening)*g",
          h.momentum + "*" + fmt(old) + " + " + (1 - h.dampening) + "*" + fmt(gg), buf));
        if (h.nesterov) { var g3 = gg + h.momentum * buf;
          out.push(line("g", "g + momentum*buf", fmt(gg) + " + " + h.momentum + "*" + fmt(buf), g3)); gg = g3; }
        else gg = buf;
      }
      out.push(line("p", "p - lr*g", fmt(w) + " - " + fmt(lr) + "*" + fmt(gg), now));
    } else if (o === "Adagrad") {
      if (h.weight_decay) { var g4 = gg + h.weight_decay * w;
        out.push(line("g", "g + weight_decay*p", fmt(gg) + " + " + h.weight_decay + "*" + fmt(w), g4)); gg = g4; }
      var step = S_("step"), clr = lr / (1 + (step - 1) * h.lr_decay), sum = S_("sum");
      out.push(line("clr", "lr / (1 + (step-1)*lr_decay)", fmt(lr) + " / (1 + " + (step - 1) + "*" + h.lr_decay + ")", clr));
      out.push(line("sum", "sum + g*g", fmt(st.sum) + " + " + fmt(gg) + "*" + fmt(gg), sum));
      out.push(line("p", "p - clr * g / (sqrt(sum) + eps)",
        fmt(w) + " - " + fmt(clr) + "*" + fmt(gg) + " / (" + fmt(Math.sqrt(sum)) + " + " + h.eps + ")", now));
    } else if (o === "RMSprop") {
      if (h.weight_decay) { var g5 = gg + h.weight_decay * w;
        out.push(line("g", "g + weight_decay*p", fmt(gg) + " + " + h.weight_decay + "*" + fmt(w), g5)); gg = g5; }
      var sq = S_("square_avg"), oldsq = isNaN(st.square_avg) ? 0 : st.square_avg, avg;
      out.push(line("square_avg", "alpha*square_avg + (1-alpha)*g*g",
        h.alpha + "*" + fmt(oldsq) + " + " + fmt(1 - h.alpha) + "*" + fmt(gg) + "*" + fmt(gg), sq));
      if (h.centered) {
        var ga = S_("grad_avg"), oldga = isNaN(st.grad_avg) ? 0 : st.grad_avg;
        out.push(line("grad_avg", "alpha*grad_avg + (1-alpha)*g", h.alpha + "*" + fmt(oldga) + " + " + fmt(1 - h.alpha) + "*" + fmt(gg), ga));
        avg = Math.sqrt(sq - ga * ga) + h.eps;
        out.push(line("avg", "sqrt(square_avg - grad_avg^2) + eps", "sqrt(" + fmt(sq) + " - " + fmt(ga) + "^2) + " + h.eps, avg));
      } else {
        avg = Math.sqrt(sq) + h.eps;
        out.push(line("avg", "sqrt(square_avg) + eps", "sqrt(" + fmt(sq) + ") + " + h.eps, avg));
      }
      if (h.momentum > 0) {
        var b2 = S_("momentum_buffer"), oldb = isNaN(st.momentum_buffer) ? 0 : st.momentum_buffer;
        out.push(line("momentum_buffer", "momentum*buf + g/avg", h.momentum + "*" + fmt(oldb) + " + " + fmt(gg) + "/" + fmt(avg), b2));
        out.push(line("p", "p - lr*buf", fmt(w) + " - " + fmt(lr) + "*" + fmt(b2), now));
      } else {
        out.push(line("p", "p - lr*g/avg", fmt(w) + " - " + fmt(lr) + "*" + fmt(gg) + "/" + fmt(avg), now));
      }
    } else if (o === "Adam" || o === "AdamW") {
      var b1 = h.betas[0], bb2 = h.betas[1], t = S_("step"), pw = w;
      if (h.weight_decay) {
        if (h.decoupled_weight_decay) {
          pw = w * (1 - lr * h.weight_decay);
          out.push(line("p", "p*(1 - lr*weight_decay)", fmt(w) + "*(1 - " + fmt(lr) + "*" + h.weight_decay + ")", pw));
        } else { var g6 = gg + h.weight_decay * w;
          out.push(line("g", "g + weight_decay*p", fmt(gg) + " + " + h.weight_decay + "*" + fmt(w), g6)); gg = g6; }
      }
      var m = S_("exp_avg"), v = S_("exp_avg_sq");
      var m0 = isNaN(st.exp_avg) ? 0 : st.exp_avg, v0 = isNaN(st.exp_avg_sq) ? 0 : st.exp_avg_sq;
      out.push(line("m = exp_avg", "b1*m + (1-b1)*g", b1 + "*" + fmt(m0) + " + " + fmt(1 - b1) + "*" + fmt(gg), m));
      out.push(line("v = exp_avg_sq", "b2*v + (1-b2)*g*g", bb2 + "*" + fmt(v0) + " + " + fmt(1 - bb2) + "*" + fmt(gg) + "^2", v));
      var vv = v;
      if (h.amsgrad) { vv = S_("max_exp_avg_sq");
        out.push(line("max_exp_avg_sq", "max(max_exp_avg_sq, v)", "max(" + fmt(st.max_exp_avg_sq) + ", " + fmt(v) + ")", vv)); }
      var bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(bb2, t);
      out.push(line("m_hat", "m / (1 - b1^t)", fmt(m) + " / (1 - " + b1 + "^" + t + ")", m / bc1));
      out.push(line("v_hat", "v / (1 - b2^t)", fmt(vv) + " / (1 - " + bb2 + "^" + t + ")", vv / bc2));
      out.push(line("p", "p - lr * m_hat / (sqrt(v_hat) + eps)",
        fmt(pw) + " - " + fmt(lr) + " * " + fmt(m / bc1) + " / (" + fmt(Math.sqrt(vv / bc2)) + " + " + h.eps + ")", now));
    } else {
      out.push("p: " + fmt(w) + " -> " + fmt(now) + " (" + o + ")");
    }
    return out.join("\n");
  }
  function drawPanel(r) {
    if (selected === null) return;
    var p = selected;
    panel.setAttribute("data-label", D.labels[p]);
    panel.setAttribute("data-value", full(value(p, r)));
    panel.setAttribute("data-grad", full(gradient(p, r)));
    var names = [];
    stateNames.forEach(function (k) {
      var x = state(k, p, r);
      panel.setAttribute("data-state-" + k, full(x));
      if (!isNaN(x)) names.push(k + " " + fmt(x));
    });
    panel.textContent = D.labels[p] + " at step " + D.steps[r] + " (" + D.optimizer + ", lr " + fmt(D.lr[r][D.group_of[p]]) + ")\n" +
      "value " + fmt(value(p, r)) + "   grad " + fmt(gradient(p, r)) +
      (names.length ? "\nstate: " + names.join(", ") : "") + "\n\n" + updateText(p, r);
  }
  function select(p) {
    if (selected !== null && paramEls[selected]) paramEls[selected].classList.remove("rp-sel");
    selected = p;
    if (paramEls[p]) paramEls[p].classList.add("rp-sel");
    drawPanel(current);
  }
  netSvg.addEventListener("click", function (event) {
    var t = event.target;
    while (t && t !== netSvg && !t.hasAttribute("data-param")) t = t.parentNode;
    if (t && t !== netSvg) select(parseInt(t.getAttribute("data-param"), 10));
  });

  // -- a traced example's backward pass, one card per neuron ---------------------------
  var exPanel = root.querySelector('[data-role="example"]'), example = null, backStep = 0;
  var neuronCount = arch ? arch.nouts.reduce(function (a, b) { return a + b; }, 0) : 0;
  function chooseExample(i) {
    var pick = root.querySelector('[data-role="example-select"]');
    if (pick) pick.value = D.traces[String(i)] !== undefined ? String(i) : "";
    points.forEach(function (c) { c.classList.toggle("rp-chosen", c.getAttribute("data-index") === String(i)); });
    if (D.traces[String(i)] === undefined) {
      example = null;
      exPanel.removeAttribute("data-index");
      if (viewRoot) { exHead.textContent = "example " + i + " was not traced: record it with " +
        "fit(..., record=Recorder(trace=[" + i + "]))."; return; }
      exPanel.textContent = "example " + i + " was not traced: record it with " +
        "fit(..., record=Recorder(trace=[" + i + "])).";
      return;
    }
    example = i; backStep = 0; viewFresh = true;
    drawExample(current);
  }
  // With D.view, the backward pass opens in the backprop player's network view, laid
  // out once in Python (its cards are the same for every example and step); here we feed
  // it the recorded numbers of the chosen example at this step (root.agpNumbers).
  var viewRoot = null, viewTemplate = null;
  function findView() {  // once the view is inserted (start)
    viewRoot = D.view ? exPanel.querySelector(".agp") : null;
    // The template: the player's own data, its numbers written as `k` (slot k of D.view.slots).
    viewTemplate = viewRoot ? JSON.parse(viewRoot.querySelector("script.agp-data").textContent).main : null;
  }
  var exHead = exPanel.querySelector(".rp-ex-head");
  var viewShown = false, viewFresh = false;  // fresh: a newly chosen example opens at its backward pass
  function pyfmt(x) {  // the player's numbers: Python's f"{x:.4g}", -0 as 0
    if (x === 0) return "0";
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    var t = x.toExponential(3), e = parseInt(t.split("e")[1], 10);
    if (e < -4 || e >= 4) {
      var m = t.split("e")[0].replace(/\.?0+$/, "");
      return m + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
    }
    return x.toFixed(Math.max(0, 3 - e)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }
  var slopes = {
    tanh: function (o) { return 1 - o * o; },
    sigmoid: function (o) { return o * (1 - o); },
    relu: function (o) { return o > 0 ? 1 : 0; },
    leaky_relu: function (o) { return o > 0 ? 1 : 0.01; },
    linear: function () { return 1; }
  };
  function viewNumbers(i, r) {
    // Slot values of example i's traced pass at record r: the trace, and the parameters
    // its gradient was computed at (those before update steps[r]; step 0's at step 0).
    var tr = N.traces[String(i)], base = r * (1 + 3 * neuronCount), x = D.X[i];
    var before = D.steps[r] === 0 ? null : {};
    function w(p) {
      if (before === null) return value(p, r);
      if (!(p in before)) { var b = previous(p, r); before[p] = b ? b.data : NaN; }
      return before[p];
    }
    var vals = D.view.slots.map(function (s) {
      switch (s[0]) {
        case "out": return tr[base + s[1]];
        case "dout": return tr[base + s[1] + 1];
        case "dz": return tr[base + s[1] + 2];
        case "loss": return tr[base];
        case "one": return 1;
        case "local": return (slopes[s[2]] || slopes.linear)(tr[base + s[1]]);
        case "w": return w(s[1]);
        case "dzw": return tr[base + s[1] + 2] * w(s[2]);
        case "dzx": return tr[base + s[1] + 2] * x[s[2]];
        case "dzo": return tr[base + s[1] + 2] * tr[base + s[2]];
      }
      return NaN;
    });
    function fill(t) {  // `k`: slot k; `s3,7`: the sum of slots 3 and 7 (a running sum)
      return t.replace(/`(s?)([\d,]*)`/g, function (_, sum, ks) {
        if (!sum) return pyfmt(vals[parseInt(ks, 10)]);
        var total = 0;
        ks.split(",").forEach(function (k) { if (k !== "") total += vals[parseInt(k, 10)]; });
        return pyfmt(total);
      });
    }
    return {
      values: viewTemplate.cards.map(function (c) { return c.values.map(fill); }),
      steps: viewTemplate.steps.map(function (s) {
        return { set: s.set.map(function (c) { return [c[0], c[1], fill(c[2])]; }), explain: fill(s.explain) };
      })
    };
  }
  function feedView(r) {
    var tr = N.traces[String(example)], base = r * (1 + 3 * neuronCount), x = D.X[example];
    exPanel.setAttribute("data-index", String(example));
    exHead.textContent = "example " + example + ": x = (" + x.map(fmt).join(", ") + "), target " +
      D.y[example] + ", loss " + fmt(tr[base]) + "; its backward pass for step " + D.steps[r] +
      (D.steps[r] ? " (at the parameters update " + D.steps[r] + "'s gradient was computed at, " +
       "those of step " + (D.steps[r] - 1) + ")" : "") + ", dropout off. Step it with the player's own controls.";
    var first = !viewShown, numbers = viewNumbers(example, r);
    viewShown = true;
    if (viewFresh) numbers.step = D.view.opens;
    viewFresh = false;
    viewRoot.agpNumbers(numbers, first);
  }
  function drawExample(r) {
    if (example === null) return;
    if (viewRoot && viewRoot.agpNumbers) { feedView(r); return; }
    var tr = N.traces[String(example)], width = 1 + 3 * neuronCount, base = r * width;
    var order = [];  // the sweep: last layer first, each layer's neurons last to first
    var names = [], off = 1;
    arch.nouts.forEach(function (n, k) {
      var row = [];
      for (var j = 0; j < n; j++) { row.push({ label: "L" + k + ".n" + j, at: base + off, layer: k }); off += 3; }
      names.push(row);
    });
    for (var k = names.length - 1; k >= 0; k--) for (var j = names[k].length - 1; j >= 0; j--) order.push(names[k][j]);
    backStep = Math.max(0, Math.min(order.length, backStep));
    var reached = {};
    for (var s = 0; s < backStep; s++) reached[order[s].label] = true;
    var cur = backStep > 0 ? order[backStep - 1] : null;
    exPanel.textContent = "";
    exPanel.setAttribute("data-index", String(example));
    var head = document.createElement("div");
    var x = D.X[example];
    head.textContent = "example " + example + ": x = (" + x.map(fmt).join(", ") + "), target " + D.y[example] +
      ", loss " + fmt(tr[base]) + " at step " + D.steps[r] + " (dropout off)  backward step " + backStep + " / " + order.length;
    exPanel.appendChild(head);
    var bar = document.createElement("div");
    [["example-first", "|<"], ["example-prev", "<"], ["example-next", ">"], ["example-last", ">|"]].forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.setAttribute("data-action", b[0]); btn.textContent = b[1];
      btn.addEventListener("click", function () {
        backStep = { "example-first": 0, "example-prev": backStep - 1, "example-next": backStep + 1, "example-last": order.length }[b[0]];
        drawExample(current);
      });
      bar.appendChild(btn);
    });
    exPanel.appendChild(bar);
    var explain = document.createElement("div");
    explain.className = "rp-explain";
    if (cur === null) {
      explain.textContent = "forward: every neuron shows its output for this example; press > to send d loss / d out back, one neuron per step.";
    } else {
      var dout = tr[cur.at + 1], dz = tr[cur.at + 2], top = cur.layer === arch.nouts.length - 1;
      var act = top ? arch.output_activation : arch.activation;
      var slope = dout !== 0 ? " = " + fmt(dout) + " x " + fmt(dz / dout) : "";
      explain.textContent = "backward: " + cur.label + ".out.grad = " + fmt(dout) +
        (top ? " (d loss / d output)" : " (summed over the neurons it feeds, each z.grad x weight)") +
        "\n" + cur.label + ".z.grad = out.grad x " + act + "'(z)" + slope + " = " + fmt(dz) +
        "\nthen each weight of " + cur.label + " gets z.grad x its input, each input z.grad x its weight.";
    }
    exPanel.appendChild(explain);
    var cards = document.createElement("div");
    cards.className = "rp-cards";
    var col = document.createElement("div"); col.className = "rp-col";
    x.forEach(function (v, i) {
      var c = document.createElement("div"); c.className = "rp-card";
      c.textContent = "x" + i + " " + fmt(v); col.appendChild(c);
    });
    cards.appendChild(col);
    names.forEach(function (row) {
      var col2 = document.createElement("div"); col2.className = "rp-col";
      row.forEach(function (n) {
        var c = document.createElement("div"), done = reached[n.label] === true;
        c.className = "rp-card" + (done ? "" : " rp-pending");
        c.setAttribute("data-label", n.label);
        c.setAttribute("data-value", String(tr[n.at]));
        c.setAttribute("data-grad", done ? String(tr[n.at + 1]) : "");
        c.setAttribute("data-current", cur && cur.label === n.label ? "true" : "false");
        c.textContent = n.label + " " + fmt(tr[n.at]) + " | g " + (done ? fmt(tr[n.at + 1]) : "-");
        col2.appendChild(c);
      });
      cards.appendChild(col2);
    });
    exPanel.appendChild(cards);
  }

  // -- stepping ------------------------------------------------------------------
  var counter = root.querySelector('[data-role="step"]');
  var epochEl = root.querySelector('[data-role="epoch"]');
  var scrub = root.querySelector('[data-role="scrub"]');
  var playButton = root.querySelector('[data-action="play"]');
  var speed = root.querySelector('[data-role="speed"]');
  var current = S - 1, timer = null;
  function show(r) {
    r = Math.max(0, Math.min(S - 1, r));
    current = r;
    drawNetwork(r);
    drawBoundary(r);
    cursors.forEach(function (c) { c(r); });
    drawPanel(r);
    drawExample(r);
    counter.textContent = D.steps[r] + " / " + last;
    epochEl.textContent = "epoch " + (D.epoch[r] + (D.steps[r] ? 1 : 0)) + ", lr " + fmt(D.lr[r][0]);
    scrub.value = String(r);
    root.setAttribute("data-step", String(D.steps[r]));
    if (r === S - 1) pause();
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.setAttribute("aria-pressed", "false");
    playButton.textContent = "play";
  }
  function play() {
    if (timer !== null) { pause(); return; }
    if (current === S - 1) show(0);
    playButton.setAttribute("aria-pressed", "true");
    playButton.textContent = "pause";
    timer = setInterval(function () { show(current + 1); }, 1000 / parseFloat(speed.value));
  }
  var actions = {
    first: function () { pause(); show(0); },
    prev: function () { pause(); show(current - 1); },
    next: function () { pause(); show(current + 1); },
    last: function () { pause(); show(S - 1); },
    play: play
  };
  function wantedStep() {
    var m = /(?:^#|&)step=(\d+)/.exec(window.location.hash || "");
    if (!m || document.querySelector(".agp, .rp") !== root) return null;
    var k = parseInt(m[1], 10), r = 0;
    while (r + 1 < S && D.steps[r + 1] <= k) r++;
    return r;
  }
  function start() {
    findView();
    buildNetwork();
    scaleWeights();
    buildCharts();
    buildBoundary();
    root.querySelectorAll(".rp-controls button[data-action]").forEach(function (b) {
      b.addEventListener("click", function () { actions[b.getAttribute("data-action")](); });
    });
    scrub.addEventListener("input", function () { pause(); show(parseInt(scrub.value, 10)); });
    speed.addEventListener("change", function () { if (timer !== null) { pause(); play(); } });
    var keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last", " ": "play" };
    // Keys with nothing focused go to one widget of the page, replays and players (.agp)
    // alike: the one last clicked or focused in, else the first on the page; a key inside
    // a widget goes to the innermost (the embedded player takes its own keys).
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
      var t = event.target, mine = !!(t && t.closest && t.closest(".agp, .rp") === root);
      var free = t === document.body || t === document.documentElement || t === null;
      if (!(mine || (free && keyOwner() === root))) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var action = keys[event.key];
      if (!action || t === scrub && action !== "play" || t && t.tagName === "SELECT") return;
      if (t && t.tagName === "BUTTON" && event.key === " ") return;
      event.preventDefault();
      actions[action]();
    });
    window.addEventListener("hashchange", function () {
      var r = wantedStep();
      if (r !== null) { pause(); show(r); }
    });
    var traced = Object.keys(D.traces);
    if (traced.length && arch) {  // the traced examples, also where no boundary shows them
      var pick = document.createElement("select");
      pick.setAttribute("data-role", "example-select");
      pick.setAttribute("aria-label", "traced example");
      var none = document.createElement("option");
      none.value = ""; none.textContent = "backward pass of example...";
      pick.appendChild(none);
      traced.forEach(function (i) {
        var o = document.createElement("option");
        o.value = i; o.textContent = "example " + i + " (target " + D.y[parseInt(i, 10)] + ")";
        pick.appendChild(o);
      });
      pick.addEventListener("change", function () { if (pick.value !== "") chooseExample(parseInt(pick.value, 10)); });
      root.querySelector(".rp-controls").appendChild(pick);
    }
    root.classList.add("rp-live");
    var opened = wantedStep();
    show(opened === null ? S - 1 : opened);
    root.setAttribute("data-ready", "1");
  }
  Promise.all(jobs).then(start, function (error) {
    root.setAttribute("data-ready", "error");
    var msg = document.createElement("div");
    msg.textContent = "the replay could not decode its numbers: " + error;
    root.insertBefore(msg, root.firstChild);
  });
})();
