// The console's own script: keyboard shortcuts, revealing one picture at a time, queue navigation.
// It writes only classes, hidden and focus: no scraped text ever becomes markup.
(function () {
  "use strict";
  var body = document.body, page = body.getAttribute("data-page");
  var help = document.getElementById("help");

  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function go(id) { var a = document.getElementById(id); if (a) a.click(); }

  var recorded = document.getElementById("recorded");  // the undo of the decision just made, for a few seconds
  if (recorded) setTimeout(function () { var u = recorded.querySelector("form"); if (u) u.remove(); }, 10000);
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {  // disabling someone asks first
    f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
  });
  document.querySelectorAll("button.reveal").forEach(function (b) {
    b.addEventListener("click", function () { b.closest(".media").classList.toggle("revealed"); });
  });
  document.querySelectorAll(".media img").forEach(function (img) {
    img.addEventListener("click", function () { img.closest(".media").classList.toggle("revealed"); });
  });

  var rows = Array.prototype.slice.call(document.querySelectorAll("table.cases tbody tr"));
  var current = -1;
  function select(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("selected", k === current); });
    rows[current].scrollIntoView({block: "nearest"});
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { help.hidden = true; return; }
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { help.hidden = !help.hidden; e.preventDefault(); return; }
    if (page === "queue") {
      if (e.key === "j") { if (current < 0 && rows.length === 0) go("next"); else select(current + 1); }
      else if (e.key === "k") select(current - 1);
      else if (e.key === "Enter" && current >= 0) location.href = rows[current].getAttribute("data-href");
      else if (e.key === "n") go("next");
      return;
    }
    if (page === "case") {
      if (e.key === "v") {
        var hidden = document.querySelector(".media:not(.revealed)");
        if (hidden) hidden.classList.add("revealed");
        else document.querySelectorAll(".media").forEach(function (m) { m.classList.remove("revealed"); });
        return;
      }
      if (e.key === "j" || e.key === "n") { go("next"); return; }  // n is "next case" on every page, never a verdict
      var button = document.querySelector('#decide button[data-key="' + e.key + '"]');
      if (!button || button.disabled) return;
      e.preventDefault();
      if (e.key === "t") {
        var ticket = document.getElementById("ticket");
        // a takedown request needs its ticket (Enter sends it), unless the target's notice channel drafts the notice
        if (!ticket.value && !decide.hasAttribute("data-notices")) { take(); ticket.focus(); return; }
      }
      take().then(function (ok) { if (ok) button.click(); });
    }
  });

  // Claims follow work: looking at a case claims nothing; starting to decide (a key, the decision bar) takes it,
  // leaving the page gives it back. Someone else's claim shows on the page, which then offers no live buttons.
  var decide = document.getElementById("decide"), claimForm = document.getElementById("claim");
  var mine = !!document.getElementById("claimed"), sent = false;
  function fields(extra) {
    var p = new URLSearchParams();
    ["csrf", "site", "item"].forEach(function (n) { p.set(n, claimForm.querySelector('input[name="' + n + '"]').value); });
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }
  function take() {
    if (mine || !decide || !claimForm || decide.hasAttribute("data-held")) return Promise.resolve(mine || !decide);
    return fetch("/case/take", {method: "POST", body: fields(), headers: {"Accept": "application/json"},
                                credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      if (d.held_by) { location.reload(); return false; }  // someone was quicker: the page says who, until when
      mine = true;
      var free = document.getElementById("free");
      if (free) free.hidden = true;
      body.setAttribute("data-claimed", "1");
      return true;
    });
  }
  if (decide) {
    decide.addEventListener("focusin", function () { take(); });
    decide.addEventListener("submit", function () { sent = true; });  // a decision releases the claim itself
  }
  window.addEventListener("pagehide", function () {
    if (mine && !sent && claimForm) navigator.sendBeacon("/case/release", fields({beacon: "1"}));
  });
  var ticket = document.getElementById("ticket");
  if (ticket) {
    ticket.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && ticket.value) { e.preventDefault(); document.querySelector('#decide button[data-key="t"]').click(); }
    });
  }
})();
