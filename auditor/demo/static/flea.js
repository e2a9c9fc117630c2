// The flea-market section renders in the browser from a JSON API, like Mercari:
// a plain HTTP fetch of its pages sees an empty shell. Text goes in through textContent only.
(function () {
  "use strict";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function yen(v) { return "¥" + Number(v).toLocaleString("en-US"); }
  function done() { document.body.setAttribute("data-ready", "1"); }
  var app = document.getElementById("app");
  var params = new URLSearchParams(location.search);
  var m = location.pathname.match(/^\/flea\/item\/([A-Za-z0-9_-]+)$/);
  if (m) {
    fetch("/api/flea/items/" + m[1]).then(function (r) {
      if (!r.ok) { app.appendChild(el("div", {"data-testid": "error"}, "この商品は削除されました")); done(); return null; }
      return r.json();
    }).then(function (it) {
      if (!it) return;
      var main = el("main", {"data-testid": "item", "data-item-id": it.id});
      main.appendChild(el("h1", {"data-testid": "name"}, it.name));
      main.appendChild(el("div", {"data-testid": "price", "data-value": it.price}, yen(it.price)));
      main.appendChild(el("span", {"data-testid": "status", "data-value": it.status}, it.status === "sold" ? "SOLD" : "販売中"));
      main.appendChild(el("a", {"data-testid": "seller", "data-seller-id": it.seller.id, href: "/flea/user/" + encodeURIComponent(it.seller.id)}, it.seller.name));
      main.appendChild(el("span", {"data-testid": "category"}, it.category));
      var tags = el("ul", {"data-testid": "tags"});
      it.tags.forEach(function (t) { tags.appendChild(el("li", {}, t)); });
      main.appendChild(tags);
      var marks = el("ul", {"data-testid": "labels"});
      (it.labels || []).forEach(function (m) { marks.appendChild(el("li", {"data-value": m.value}, m.text)); });
      main.appendChild(marks);
      main.appendChild(el("p", {"data-testid": "description"}, it.description));
      var imgs = el("div", {"data-testid": "images"});
      it.photos.forEach(function (u) { imgs.appendChild(el("img", {src: u, alt: ""})); });
      main.appendChild(imgs);
      main.appendChild(el("time", {"data-testid": "updated", datetime: it.updated}, it.updated));
      app.appendChild(main);
      document.title = it.name + " - Demo Flea";
      done();
    }).catch(function () { done(); });
    return;
  }
  var page = Number(params.get("page") || "1");
  var q = params.get("keyword") || "";
  fetch("/api/flea/search?page=" + page + "&keyword=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (data) {
    var list = el("ul", {id: "items"});
    data.items.forEach(function (it) {
      var li = el("li", {"class": "item-card", "data-id": it.id});
      li.appendChild(el("a", {href: "/flea/item/" + it.id}, it.name));
      li.appendChild(el("span", {"class": "price"}, yen(it.price)));
      list.appendChild(li);
    });
    app.appendChild(list);
    if (data.nextPage) {
      app.appendChild(el("a", {id: "next", href: "/flea/search?page=" + data.nextPage + "&keyword=" + encodeURIComponent(q)}, "次のページ"));
    }
    done();
  }).catch(function () { done(); });
})();
