/* "Caminar el contorno": the technician walks the plot's boundary with the phone. While
   standing at a corner the phone's GPS readings (watchPosition) are collected; "Marcar
   esquina" averages them into the corner (a single reading wanders by metres, their mean much
   less) and keeps their mean accuracy. "Cerrar contorno" needs three corners, then puts the
   polygon and the corners' mean accuracy in the outline form and sends it (offline.js queues
   it when there is no signal). */
(function () {
  "use strict";
  var box = document.getElementById("walk");
  var form = document.querySelector("form[data-outline-form]");
  if (!box || !form || !navigator.geolocation) return;
  box.hidden = false;
  var T = box.dataset;
  var panel = box.querySelector("[data-walk-panel]");
  var status = box.querySelector("[data-walk-status]");
  var list = box.querySelector("[data-walk-corners]");
  var watch = null, readings = [], corners = [];
  var OPTIONS = { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 };

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }
  function read(position) {
    var c = position.coords;
    readings.push({ lat: c.latitude, lon: c.longitude, accuracy: c.accuracy });
    status.textContent = fmt(T.reading, { n: readings.length, m: Math.round(c.accuracy) });
  }
  function mean(items, name) {
    return items.reduce(function (sum, item) { return sum + item[name]; }, 0) / items.length;
  }
  function addCorner(taken) {
    var corner = { lat: mean(taken, "lat"), lon: mean(taken, "lon"), accuracy: mean(taken, "accuracy"), n: taken.length };
    corners.push(corner);
    readings = [];
    var li = document.createElement("li");
    li.textContent = fmt(T.corner, {
      lat: corner.lat.toFixed(6), lon: corner.lon.toFixed(6),
      m: Math.round(corner.accuracy), n: corner.n
    });
    list.appendChild(li);
    status.textContent = fmt(T.marked, { n: corners.length });
  }

  box.querySelector("[data-walk-start]").addEventListener("click", function () {
    panel.hidden = false;
    corners = []; readings = []; list.innerHTML = "";
    status.textContent = T.asking;
    if (watch === null) {
      watch = navigator.geolocation.watchPosition(read, function () {
        status.textContent = T.failed;
      }, OPTIONS);
    }
  });
  box.querySelector("[data-walk-mark]").addEventListener("click", function () {
    if (readings.length) { addCorner(readings); return; }
    // no reading since the last corner (standing still, the phone may not report): ask once
    status.textContent = T.asking;
    navigator.geolocation.getCurrentPosition(function (position) {
      read(position);
      addCorner(readings);
    }, function () { status.textContent = T.failed; }, OPTIONS);
  });
  box.querySelector("[data-walk-undo]").addEventListener("click", function () {
    if (!corners.length) return;
    corners.pop();
    list.removeChild(list.lastChild);
    status.textContent = fmt(T.marked, { n: corners.length });
  });
  box.querySelector("[data-walk-close]").addEventListener("click", function () {
    if (corners.length < 3) { status.textContent = T.few; return; }
    var ring = corners.map(function (c) { return [Number(c.lon.toFixed(7)), Number(c.lat.toFixed(7))]; });
    ring.push(ring[0]);
    form.elements["outline"].value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    form.elements["walked"].value = "1";
    form.elements["drawn"].value = "";
    form.elements["accuracy_m"].value = mean(corners, "accuracy").toFixed(1);
    if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; }
    panel.hidden = true;
    form.requestSubmit();
  });
})();
