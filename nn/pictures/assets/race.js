(function () {
  "use strict";
  var root = document.getElementById(ROOT_ID);
  if (!root || root.getAttribute("data-ready") !== null) return;
  var D = JSON.parse(root.querySelector("script.rr-data").textContent);
  var n = D.paths[D.names[0]].length - 1, box = D.box, current = n, timer = null;
  function px(p) {
    var x = Math.min(Math.max(p[0], box[0] - 9e3), box[1] + 9e3);
    return [D.W * (x - box[0]) / (box[1] - box[0]), D.H * (box[3] - p[1]) / (box[3] - box[2])];
  }
  function fmt(x) { return isFinite(x) ? String(Number(x.toPrecision(4))) : String(x); }
  var lines = {}, heads = {}, rows = {};
  root.querySelectorAll("polyline[data-racer]").forEach(function (e) { lines[e.getAttribute("data-racer")] = e; });
  root.querySelectorAll("circle[data-head]").forEach(function (e) { heads[e.getAttribute("data-head")] = e; });
  root.querySelectorAll("tr[data-racer]").forEach(function (e) { rows[e.getAttribute("data-racer")] = e; });
  var counter = root.querySelector('[data-role="step"]'), scrub = root.querySelector('[data-role="scrub"]');
  var playButton = root.querySelector('[data-action="play"]');
  function show(k) {
    k = Math.max(0, Math.min(n, k)); current = k;
    D.names.forEach(function (name) {
      var path = D.paths[name], pts = [];
      for (var s = 0; s <= k; s++) { var q = px(path[s]); pts.push(q[0].toFixed(1) + "," + q[1].toFixed(1)); }
      lines[name].setAttribute("points", pts.join(" "));
      var h = px(path[k]);
      heads[name].setAttribute("cx", h[0].toFixed(1)); heads[name].setAttribute("cy", h[1].toFixed(1));
      var row = rows[name], p = path[k];
      row.setAttribute("data-x", String(p[0])); row.setAttribute("data-y", String(p[1]));
      row.setAttribute("data-loss", String(p[2]));
      row.cells[1].textContent = fmt(p[0]); row.cells[2].textContent = fmt(p[1]); row.cells[3].textContent = fmt(p[2]);
    });
    counter.textContent = k + " / " + n; scrub.value = String(k);
    if (k === n) pause();
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.setAttribute("aria-pressed", "false"); playButton.textContent = "play";
  }
  function play() {
    if (timer !== null) { pause(); return; }
    if (current === n) show(0);
    playButton.setAttribute("aria-pressed", "true"); playButton.textContent = "pause";
    timer = setInterval(function () { show(current + 1); }, 120);
  }
  var actions = { first: function () { pause(); show(0); }, prev: function () { pause(); show(current - 1); },
                  next: function () { pause(); show(current + 1); }, last: function () { pause(); show(n); }, play: play };
  root.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-action")](); });
  });
  scrub.addEventListener("input", function () { pause(); show(parseInt(scrub.value, 10)); });
  var m = /(?:^#|&)step=(\d+)/.exec(window.location.hash || "");
  show(m && document.querySelector(".rr") === root ? parseInt(m[1], 10) : n);
  root.setAttribute("data-ready", "1");
})();
