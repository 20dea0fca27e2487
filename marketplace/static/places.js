// Place forms (farms, collection centres: any form with data-regions-url): refresh the region
// and district lists without reloading, and fill coordinates from the phone's GPS. The forms
// work without this script (a button reloads the lists).
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  var script = document.currentScript;
  var form = document.querySelector("form[data-regions-url]");
  if (!form) return;
  var country = form.elements["country"], region = form.elements["region"];
  var district = form.elements["district_code"];
  var choose = script.dataset.choose;

  function fill(select, items) {
    select.innerHTML = "";
    select.add(new Option(choose, ""));
    items.forEach(function (item) { select.add(new Option(item.label, item.value)); });
  }
  function load(url, params, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url + "?" + new URLSearchParams(params));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () { done(xhr.status === 200 ? JSON.parse(xhr.responseText) : null); };
    xhr.send();
  }
  country.addEventListener("change", function () {
    load(form.dataset.regionsUrl, { country: country.value }, function (data) {
      fill(region, (data ? data.regions : []).map(function (r) { return { value: r, label: r }; }));
      fill(district, []);
    });
  });
  region.addEventListener("change", function () {
    load(form.dataset.districtsUrl, { country: country.value, region: region.value }, function (data) {
      fill(district, (data ? data.districts : []).map(function (d) { return { value: d.code, label: d.label }; }));
    });
  });

  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (!button || !navigator.geolocation) { if (button) button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = script.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements["lat"].value = pos.coords.latitude.toFixed(6);
      form.elements["lon"].value = pos.coords.longitude.toFixed(6);
      status.textContent = script.dataset.located;
    }, function () { status.textContent = script.dataset.failed; },
    { enableHighAccuracy: true, timeout: 20000 });
  });
})();
