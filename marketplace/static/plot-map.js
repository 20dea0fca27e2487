/* A farm's plot page: the outline on a blank background (no tile server is reachable) and,
   for those who may edit it, a drawing tool (vendored leaflet-draw) that writes the drawn
   polygon as GeoJSON into the form's textarea. The form works without it (paste GeoJSON). */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  var box = document.getElementById("plot-map");
  if (!box || typeof L === "undefined") { return; }
  box.hidden = false;
  var outline = JSON.parse(box.getAttribute("data-outline") || "{}");
  var point = JSON.parse(box.getAttribute("data-point") || "null");
  var map = L.map(box, { attributionControl: false, scrollWheelZoom: false });
  var drawn = new L.FeatureGroup();
  var style = { color: "#1f4d29", weight: 2, fillColor: "#2f6b3a", fillOpacity: 0.3 };
  if (outline && outline.type) {
    L.geoJSON(outline, { style: style }).eachLayer(function (layer) { drawn.addLayer(layer); });
  }
  // The view must be set before any vector layer is added (Leaflet's renderer needs it).
  if (drawn.getLayers().length) {
    map.fitBounds(drawn.getBounds(), { padding: [16, 16] });
  } else if (point) {
    map.setView(point, 15);
  } else {
    map.setView([0, 0], 2);
  }
  drawn.addTo(map);
  if (point) {
    L.circleMarker(point, { radius: 4, color: "#6b3508", weight: 2 }).addTo(map);
  }

  var text = document.getElementById("outline");
  var flag = document.getElementById("outline-drawn");
  if (!box.getAttribute("data-editable") || !text || typeof L.Control.Draw === "undefined") {
    return;
  }
  function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      if (typeof source[key] === "object" && target[key]) { merge(target[key], source[key]); }
      else { target[key] = source[key]; }
    });
  }
  function write() {
    var polygons = [];
    drawn.eachLayer(function (layer) {
      var geometry = layer.toGeoJSON(6).geometry;
      if (geometry.type === "Polygon") { polygons.push(geometry.coordinates); }
      if (geometry.type === "MultiPolygon") { polygons = polygons.concat(geometry.coordinates); }
    });
    if (!polygons.length) {
      text.value = "";
    } else if (polygons.length === 1) {
      text.value = JSON.stringify({ type: "Polygon", coordinates: polygons[0] });
    } else {
      text.value = JSON.stringify({ type: "MultiPolygon", coordinates: polygons });
    }
    if (flag) { flag.value = "1"; }
  }
  merge(L.drawLocal, JSON.parse(box.getAttribute("data-texts") || "{}"));
  map.addControl(new L.Control.Draw({
    draw: {
      polygon: { allowIntersection: false, shapeOptions: style },
      polyline: false, rectangle: false, circle: false, marker: false, circlemarker: false
    },
    edit: { featureGroup: drawn }
  }));
  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    write();
  });
  map.on(L.Draw.Event.EDITED, write);
  map.on(L.Draw.Event.DELETED, write);
  text.addEventListener("input", function () { if (flag) { flag.value = ""; } });
})();
