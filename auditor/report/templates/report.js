// The report's own script: filter and sort the hit tables, and blur or reveal pictures, offline. It reads
// only data-* attributes and text, and writes only textContent, classes, hidden and row order: scraped
// text never becomes markup. The text filter reads text as the rules do (width, case, kana, look-alike
// letters, spaces and symbols folded), so "AI美女" also finds "ＡＩ美女" and "A I 美 女".
(function () {
  "use strict";
  var HOMOGLYPHS = {"а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "α": "a", "β": "b", "ε": "e",
    "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c"};
  var SEPARATORS = /[\p{P}\p{Z}\p{Cc}\p{Cf}\p{Sm}\p{Sk}\p{So}\s\u30fc\u301c\uff5e]+/gu;
  function compact(s) {
    s = s.normalize("NFKC").toLowerCase();
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s[i], code = s.charCodeAt(i);
      if (code >= 0x30a1 && code <= 0x30f6) c = String.fromCharCode(code - 0x60);
      out += HOMOGLYPHS[c] || c;
    }
    return out.replace(/[\u2010-\u2015\u2212\ufe63\uff0d]/g, "-").replace(SEPARATORS, "");
  }

  var body = document.body;
  var media = document.getElementById("f-media");
  function setMedia(v) {
    body.classList.remove("media-blurred", "media-grey", "media-clear");
    body.classList.add("media-" + v);
  }
  if (media) {
    media.addEventListener("input", function () { setMedia(media.value); });
    setMedia(media.value);
  }
  document.querySelectorAll("button.reveal").forEach(function (b) {
    b.addEventListener("click", function () {
      var box = b.closest(".media");
      if (box) box.classList.toggle("revealed");
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "v" && e.target === body) {
      var box = document.querySelector(".media:hover");
      if (box) box.classList.toggle("revealed");
    }
  });

  var q = document.getElementById("f-text"), sev = document.getElementById("f-sev"),
      state = document.getElementById("f-state"), site = document.getElementById("f-site"),
      note = document.getElementById("f-seller"), clear = document.getElementById("f-clear");
  if (!q) return;
  var seller = null;
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.hits tbody tr"));
  rows.forEach(function (tr) { tr._text = tr.getAttribute("data-text") || ""; });

  function apply() {
    var words = q.value.split(/\s+/).map(compact).filter(Boolean);
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
    note.textContent = seller === null ? "" : "⟶ " + seller.replace(/^[^/]*\//, "");
  }

  function fromHash() {
    var h = decodeURIComponent(location.hash || "");
    seller = h.indexOf("#seller=") === 0 ? h.slice(8) : null;
    apply();
  }

  function sortBy(th) {
    var table = th.closest("table"), tbody = table.tBodies[0], key = th.getAttribute("data-sort");
    var numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var list = Array.prototype.slice.call(tbody.rows);
    list.sort(function (a, b) {
      var x = a.getAttribute("data-" + key) || "", y = b.getAttribute("data-" + key) || "";
      if (numeric) { x = Number(x || -1); y = Number(y || -1); return (x - y) * dir; }
      if (!x && y) return 1;
      if (x && !y) return -1;
      return x < y ? -dir : x > y ? dir : 0;
    });
    var frag = document.createDocumentFragment();
    list.forEach(function (tr) { frag.appendChild(tr); });
    tbody.appendChild(frag);
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
