/* Minka's service worker (served from /sw.js, never cached long). It keeps the shell (CSS,
   scripts, the vendored Leaflet) and the pages a technician fills in the field, so that they
   open without signal. Pages come from the network first; the copy kept is the fallback.
   Only pages the server marks with {{ keep_header }} are kept (a technician's forms), and
   the page's script (offline.js) deletes them when the technician signs out. */
"use strict";
var VERSION = {{ version|tojson }};
var SHELL = "minka-shell-" + VERSION;
var PAGES = "minka-pages";      // the same name in offline.js
var PLACES = "minka-places";    // region and district lists (public)
var SHELL_FILES = {{ shell|tojson }};
var FALLBACK = {{ fallback|tojson }};
var KEEP_HEADER = {{ keep_header|tojson }};
// a record's page not kept (never opened with signal) opens the offline page of its kind
var STAND_INS = [
  [/^\/productores\/\d+\/fincas\/nueva$/, {{ url_for("fieldwork.new_farm")|tojson }}],
  [/^\/fincas\/\d+\/parcela$/, {{ url_for("fieldwork.new_plot")|tojson }}]
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // drop the shells of earlier versions (their files carry other ?v= hashes)
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("minka-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromNetworkKeeping(request, cacheName, keepAny) {
  return fetch(request).then(function (response) {
    // a signed-out page: nobody's pages stay on the phone (a session that simply expired)
    if (response.headers.get(KEEP_HEADER) === "forget") caches.delete(PAGES);
    var keep = response.ok && !response.redirected &&
      (keepAny || response.headers.get(KEEP_HEADER) === "keep");
    if (keep) {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    // versioned files never change under their URL: the kept copy first
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request);
    }));
    return;
  }
  if (url.pathname.indexOf("/api/gazetteer/") === 0) {
    event.respondWith(fromNetworkKeeping(request, PLACES, true).catch(function () {
      return caches.match(request, { cacheName: PLACES }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkKeeping(request, PAGES, false).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request).then(function (hit) {
          if (hit) return hit;
          var standIn = STAND_INS.filter(function (s) { return s[0].test(url.pathname); })[0];
          return (standIn ? cache.match(standIn[1]) : Promise.resolve(null)).then(function (page) {
            return page || cache.match(FALLBACK);
          });
        });
      }).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (SHELL_FILES.indexOf(url.pathname) !== -1) {  // the manifest
    event.respondWith(fetch(request).catch(function () {
      return caches.match(request).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
