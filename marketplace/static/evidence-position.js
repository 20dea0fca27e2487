/* The field-evidence form: the phone's position (browser geolocation, with its accuracy in
   metres) into the form's hidden fields. Without JavaScript or permission the form still
   works: the photo's own GPS tags, when it has them, give the position on the server. */
(function () {
  "use strict";
  var lat = document.getElementById("evidence-lat");
  var lon = document.getElementById("evidence-lon");
  var accuracy = document.getElementById("evidence-accuracy");
  var status = document.getElementById("evidence-position");
  if (!lat || !lon || !accuracy || !status || !navigator.geolocation) { return; }
  status.setAttribute("aria-live", "polite");
  status.textContent = status.getAttribute("data-asking");
  navigator.geolocation.getCurrentPosition(
    function (found) {
      var c = found.coords;
      lat.value = c.latitude.toFixed(7);
      lon.value = c.longitude.toFixed(7);
      accuracy.value = Math.round(c.accuracy);
      status.textContent = status.getAttribute("data-found")
        .replace("{lat}", c.latitude.toFixed(5))
        .replace("{lon}", c.longitude.toFixed(5))
        .replace("{m}", String(Math.round(c.accuracy)));
    },
    function () { status.textContent = status.getAttribute("data-failed"); },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 }
  );
})();
