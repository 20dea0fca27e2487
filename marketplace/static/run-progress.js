// A matching run's progress bar (any element with data-progress-url): asks the server every
// 2 s and moves the bar; reloads the page when the run ends, to show its figures. Without
// this script the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var bar = box.querySelector("progress");
  var stage = box.querySelector("[data-stage]");
  var pct = box.querySelector("[data-percent]");

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + " %";
    stage.textContent = data.stage_label;
    pct.textContent = data.percent + " %";
    if (data.status !== "queued" && data.status !== "running") {
      window.location.reload();
      return;
    }
    window.setTimeout(poll, 2000);
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", box.dataset.progressUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status === 200) show(JSON.parse(xhr.responseText));
      else window.setTimeout(poll, 10000);
    };
    xhr.onerror = function () { window.setTimeout(poll, 10000); };
    xhr.send();
  }
  window.setTimeout(poll, 2000);
})();
