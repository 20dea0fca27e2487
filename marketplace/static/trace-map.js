/* The buyer's map of a commitment's plots: polygons or points coloured by their risk status
   at delivery on a blank background (no tile server is reachable). Colours and line styles
   match the legend under the map (minka.css .swatch-*); each popup names the plot and its
   status in words, so the map reads without colour too. The list below works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  var box = document.getElementById("trace-map");
  if (!box || typeof L === "undefined") { return; }
  var data = JSON.parse(box.getAttribute("data-features") || "{}");
  if (!data.features || !data.features.length) { return; }
  var styles = {
    at_risk: { color: "#b3261e", dashArray: "6 4" },
    unassessed: { color: "#6b6b6b", dashArray: "2 4" },
    needs_verification: { color: "#b36b00" },
    verified: { color: "#2f6b3a" },
    free: { color: "#1f7a3a" }
  };
  function style(feature) { return styles[feature.properties.status] || { color: "#555" }; }
  function popup(feature) {
    var text = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = feature.properties.name;
    text.appendChild(name);
    text.appendChild(document.createElement("br"));
    text.appendChild(document.createTextNode(feature.properties.label || ""));
    return text;
  }
  box.hidden = false;
  var map = L.map(box, { attributionControl: false, scrollWheelZoom: false });
  var layer = L.geoJSON(data, {
    style: function (f) {
      var s = style(f);
      return { color: s.color, dashArray: s.dashArray, weight: 2, fillOpacity: 0.35 };
    },
    pointToLayer: function (f, latlng) {
      var s = style(f);
      return L.circleMarker(latlng, {
        radius: 7, color: s.color, dashArray: s.dashArray, fillColor: s.color,
        fillOpacity: 0.6, weight: 2
      });
    },
    onEachFeature: function (f, shape) { shape.bindPopup(popup(f)); }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 });
})();
