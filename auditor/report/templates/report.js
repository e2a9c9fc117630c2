// The report's own script: filter and sort the hit tables, offline. It reads only data-* attributes
// and text, and writes only textContent, hidden and row order: scraped text never becomes markup.
(function () {
  "use strict";
  var q = document.getElementById("f-text"), sev = document.getElementById("f-sev"),
      state = document.getElementById("f-state"), site = document.getElementById("f-site"),
      note = document.getElementById("f-seller"), clear = document.getElementById("f-clear");
  if (!q) return;
  var seller = null;
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.hits tbody tr"));
  rows.forEach(function (tr) { tr._text = (tr.getAttribute("data-text") || "").toLowerCase(); });

  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = {};
    rows.forEach(function (tr) {
      var ok = (!sev.value || Number(tr.getAttribute("data-sev")) <= Number(sev.value)) &&
        (!state.value || tr.getAttribute("data-state") === state.value) &&
        (!site.value || tr.getAttribute("data-site") === site.value) &&
        (seller === null || tr.getAttribute("data-seller") === seller) &&
        words.every(function (w) { return tr._text.indexOf(w) >= 0; });
      tr.hidden = !ok;
      var table = tr.closest("table").id;
      shown[table] = (shown[table] || 0) + (ok ? 1 : 0);
    });
    document.querySelectorAll("table.hits").forEach(function (t) {
      var out = document.querySelector('[data-count-for="' + t.id + '"]');
      if (out) out.textContent = String(shown[t.id] || 0);
    });
    note.hidden = seller === null;
    note.textContent = seller === null ? "" : "Showing one seller's listings: " + seller.replace(/^[^/]*\//, "");
  }

  function fromHash() {
    var h = decodeURIComponent(location.hash || "");
    seller = h.indexOf("#seller=") === 0 ? h.slice(8) : null;
    apply();
  }

  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0], key = th.getAttribute("data-sort");
    var numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var list = Array.prototype.slice.call(body.rows);
    list.sort(function (a, b) {
      var x = a.getAttribute("data-" + key) || "", y = b.getAttribute("data-" + key) || "";
      if (numeric) { x = Number(x || -1); y = Number(y || -1); return (x - y) * dir; }
      return x < y ? -dir : x > y ? dir : 0;
    });
    var frag = document.createDocumentFragment();
    list.forEach(function (tr) { frag.appendChild(tr); });
    body.appendChild(frag);
  }

  [q, sev, state, site].forEach(function (el) { el.addEventListener("input", apply); });
  clear.addEventListener("click", function () {
    q.value = ""; sev.value = ""; state.value = ""; site.value = "";
    if (location.hash) { history.replaceState(null, "", location.pathname); }
    seller = null; apply();
  });
  document.querySelectorAll("table.hits th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(th); });
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
