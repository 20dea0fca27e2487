/* The buyer's map of a commitment's plots: polygons or points coloured by risk status on a
   blank background (no tile server is reachable). The table below works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  var box = document.getElementById("trace-map");
  if (!box || typeof L === "undefined") { return; }
  var data = JSON.parse(box.getAttribute("data-features") || "{}");
  if (!data.features || !data.features.length) { return; }
  var colours = {
    at_risk: "#b3261e", unassessed: "#8a8a8a", needs_verification: "#d98300",
    verified: "#2f6b3a", free: "#1f7a3a"
  };
  function colour(feature) { return colours[feature.properties.status] || "#555"; }
  box.hidden = false;
  var map = L.map(box, { attributionControl: false, scrollWheelZoom: false });
  var layer = L.geoJSON(data, {
    style: function (f) { return { color: colour(f), weight: 2, fillOpacity: 0.4 }; },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { radius: 7, color: colour(f), fillColor: colour(f), fillOpacity: 0.7, weight: 1 });
    },
    onEachFeature: function (f, shape) { shape.bindPopup(document.createTextNode(f.properties.name)); }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 });
})();
