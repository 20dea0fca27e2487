/* The "Por enviar" page: the entries offline.js keeps on this phone, each with its state; a
   refused one shows the server's reasons, a link to its form filled again, and "Descartar". */
(function () {
  "use strict";
  var box = document.getElementById("outbox-list");
  if (!box || !window.minkaOutbox) return;
  var T = box.dataset;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function badge(entry) {
    if (entry.status === "refused") return el("span", "badge badge-bad", T.refused);
    if (entry.status === "waiting") return el("span", "badge badge-warn", T.waiting);
    return el("span", "badge badge-warn", T.queued);
  }
  function render(list) {
    box.innerHTML = "";
    if (!list.length) { box.appendChild(el("p", "", T.empty)); return; }
    list.forEach(function (entry) {
      var card = el("article", "card");
      card.setAttribute("data-entry", entry.key);
      var head = el("p", "card-head");
      head.appendChild(el("strong", "", entry.label));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(badge(entry));
      card.appendChild(head);
      var when = new Date(entry.created).toLocaleString(document.documentElement.lang);
      card.appendChild(el("p", "muted", T.savedOn.replace("{when}", when)));
      if (entry.message) card.appendChild(el("p", entry.status === "refused" ? "error" : "hint", entry.message));
      var reasons = Object.keys(entry.errors || {}).map(function (k) { return entry.errors[k]; })
        .filter(function (m) { return m && m !== entry.message; });
      if (reasons.length) {
        var ul = el("ul");
        reasons.forEach(function (m) { ul.appendChild(el("li", "", m)); });
        card.appendChild(ul);
      }
      if (entry.status === "refused") {
        var actions = el("p", "actions");
        var fix = el("a", "", T.fix);
        fix.href = entry.page + "#fix=" + entry.key;
        actions.appendChild(fix);
        var discard = el("button", "secondary", T.discard);
        discard.type = "button";
        discard.addEventListener("click", function () {
          if (window.confirm(T.confirm)) window.minkaOutbox.drop(entry.key);
        });
        actions.appendChild(discard);
        card.appendChild(actions);
      }
      box.appendChild(card);
    });
  }
  document.addEventListener("minka:outbox", function (event) { render(event.detail); });
  window.minkaOutbox.refresh();
})();
