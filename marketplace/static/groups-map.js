/* The lender's map of credit groups: circle markers on a blank background (no tile server
   is reachable), each with a link to its group. The list below works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  var box = document.getElementById("groups-map");
  if (!box || typeof L === "undefined") { return; }
  var points = JSON.parse(box.getAttribute("data-points") || "[]");
  if (!points.length) { return; }
  box.hidden = false;
  var map = L.map(box, { attributionControl: false, scrollWheelZoom: false });
  var bounds = [];
  points.forEach(function (p) {
    var radius = Math.min(6 + Math.sqrt(p.n) * 2, 18);
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: radius, color: "#1f4d29", weight: 1, fillColor: "#2f6b3a", fillOpacity: 0.6
    }).addTo(map);
    var link = document.createElement("a");
    link.href = box.getAttribute("data-url") + p.id;
    link.textContent = p.code + " · " + p.n + " " + box.getAttribute("data-members");
    marker.bindPopup(link);
    bounds.push([p.lat, p.lon]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
})();
