/* Working without signal (technicians). Registers the service worker (/sw.js) and keeps the
   pages of field work on the phone; forms marked data-offline are queued in IndexedDB when
   there is no connection (or always, data-offline-always: the pages for records that only
   exist on the phone), each entry with an idempotency key (a UUID) and what it depends on.
   The queue is sent oldest first on page load, on the "online" event and with "Enviar
   ahora"; the server answers saved (the entry leaves the queue), refused (it stays, marked,
   with the server's message, to fix or discard) or wait (it stays queued). */
(function () {
  "use strict";
  var script = document.currentScript;
  var T = script.dataset;
  var USER = T.user;
  var PAGES = "minka-pages";  // the service worker's name for the kept pages
  var KEPT_FOR = "minka-pages-user", KEPT_AT = "minka-pages-at", FLASH = "minka-flash";
  var REFRESH_MS = 60 * 60 * 1000;  // the kept pages (centres' pledge lists) renewed hourly

  // --- the queue in IndexedDB -------------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    dbPromise = dbPromise || new Promise(function (resolve, reject) {
      var request = indexedDB.open("minka-offline", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("entries", { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return dbPromise;
  }
  function store(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("entries", mode);
        var request = work(t.objectStore("entries"));
        t.oncomplete = function () { resolve(request ? request.result : undefined); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function entries() {  // this technician's, oldest first
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all.filter(function (e) { return e.user === USER; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function getEntry(key) { return store("readonly", function (s) { return s.get(key); }); }
  function putEntry(entry) { return store("readwrite", function (s) { return s.put(entry); }); }
  function dropEntry(key) { return store("readwrite", function (s) { return s.delete(key); }); }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function hashParams() { return new URLSearchParams(location.hash.slice(1)); }
  // A record's page not kept on the phone opens an offline page in its place (the service
  // worker's stand-in): the record's server id is then in the address.
  var PATH_IDS = { producer: /^\/productores\/(\d+)\//, farm: /^\/fincas\/(\d+)\// };
  function pathId(name) {
    var found = PATH_IDS[name] && location.pathname.match(PATH_IDS[name]);
    return found ? found[1] : "";
  }

  // --- the "por enviar" count and messages ----------------------------------------------------
  function refreshCount() {
    return entries().then(function (list) {
      document.querySelectorAll("[data-outbox-count]").forEach(function (el) {
        el.textContent = String(list.length);
      });
      document.dispatchEvent(new CustomEvent("minka:outbox", { detail: list }));
      return list;
    });
  }
  function say(text, tone) {
    var main = document.getElementById("main");
    var p = document.createElement("p");
    p.className = "flash flash-" + (tone || "info");
    p.setAttribute("role", "status");
    p.textContent = text;
    main.insertBefore(p, main.firstChild);
  }

  // --- queueing a form ----------------------------------------------------------------------
  function summary(form) {
    var names = (form.dataset.offlineSummary || "").split(" ").filter(Boolean);
    return names.map(function (name) {
      var el = form.elements[name];
      if (!el) return "";
      if (el.tagName === "SELECT") return el.selectedIndex > 0 ? el.options[el.selectedIndex].text : "";
      var unit = form.getAttribute("data-offline-unit-" + name);  // "250 kg"
      return el.value && unit ? el.value + " " + unit : el.value;
    }).filter(Boolean).join(form.dataset.offlineJoin || " ");
  }
  function references(form, fixing) {
    if (fixing) return fixing.refs;
    var refs = {}, hash = hashParams();
    ["producer", "farm", "center"].forEach(function (name) {
      var id = form.dataset["offline" + name.charAt(0).toUpperCase() + name.slice(1)] || pathId(name);
      if (id) refs[name + "_id"] = id;
      if (hash.get(name)) refs[name + "_key"] = hash.get(name);
    });
    return refs;
  }
  function queue(form) {
    var fixKey = form.dataset.fixKey;
    return (fixKey ? getEntry(fixKey) : Promise.resolve(null)).then(function (fixing) {
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name === "csrf_token" || name === "refresh") return;
        if (value instanceof File && !value.size) return;  // no photo chosen
        fields.push([name, value]);
      });
      // a visit saved without its date is dated the day it was saved (the photo's own date
      // cannot be read on the phone)
      var dated = form.dataset.offlineToday;
      if (dated && !fields.some(function (f) { return f[0] === dated && f[1]; })) {
        var now = new Date();
        now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
        fields = fields.filter(function (f) { return f[0] !== dated; });
        fields.push([dated, now.toISOString().slice(0, 10)]);
      }
      if (fixing && !fields.some(function (f) { return f[1] instanceof File; })) {
        // a fixed entry keeps the photo it had unless another one is chosen
        fields = fields.concat(fixing.fields.filter(function (f) { return f[1] instanceof Blob; }));
      }
      var entry = {
        key: fixing ? fixing.key : newKey(),
        user: USER,
        kind: form.dataset.offline,
        created: fixing ? fixing.created : Date.now(),
        label: [form.dataset.offlineLabel, summary(form)].filter(Boolean).join(": "),
        page: fixing ? fixing.page : location.pathname,
        fields: fields,
        refs: references(form, fixing),
        status: "queued"
      };
      return putEntry(entry).then(function () { return entry; });
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.offline) {
      // any other form needs the server: say so instead of the browser's error page
      if (!navigator.onLine && (form.method || "").toLowerCase() === "post" && !isLogout(form)) {
        event.preventDefault();
        say(T.needsSignal, "warning");
        window.scrollTo(0, 0);
      }
      return;
    }
    // online, a form posts as usual; a fixed entry goes back through the queue (its key)
    if (navigator.onLine && !form.hasAttribute("data-offline-always") && !form.dataset.fixKey) return;
    event.preventDefault();
    queue(form).then(function (entry) {
      var next = form.dataset.offlineNext;
      if (next) {
        sessionStorage.setItem(FLASH, T.saved);
        location.href = next + "#" + form.dataset.offlineNextParam + "=" + entry.key;
        return;
      }
      form.reset();
      delete form.dataset.fixKey;
      form.dispatchEvent(new CustomEvent("minka:queued", { detail: entry }));
      say(T.saved, "success");
      window.scrollTo(0, 0);
      refreshCount().then(function () { if (navigator.onLine) sync(); });
    });
  }, true);

  // "Corregir": the entry's form again, filled with what was queued (#fix=<key>)
  function prefill() {
    var key = hashParams().get("fix");
    if (!key) return;
    getEntry(key).then(function (entry) {
      if (!entry) return;
      var form = document.querySelector('form[data-offline="' + entry.kind + '"]');
      if (!form) return;
      form.dataset.fixKey = entry.key;
      entry.fields.forEach(function (pair) {
        if (typeof pair[1] !== "string") return;
        form.querySelectorAll('[name="' + pair[0] + '"]').forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") {
            if (el.value === pair[1]) el.checked = true;
          } else if (el.type !== "file" && !el.hasAttribute("data-offline-fresh")) {
            if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === pair[1]; })) {
              el.add(new Option(pair[1], pair[1]));  // a district list not loaded offline
            }
            el.value = pair[1];
          }
        });
      });
      if (entry.message) say(T.refused + ": " + entry.message, "error");
    });
  }

  // The pages for records that exist only on the phone name them in the address
  // (#producer=<key>, #farm=<key>): say which, or keep the form shut without one.
  function parent() {
    var form = document.querySelector("form[data-offline-needs]");
    if (!form) return;
    var hash = hashParams(), key = hash.get(form.dataset.offlineNeeds);
    var shown = document.querySelector("[data-offline-parent]");
    var id = pathId(form.dataset.offlineNeeds);
    if (id) {  // a record already in Minka
      if (shown) shown.textContent = shown.dataset.known.replace("{id}", id);
      return;
    }
    var lookup = key ? getEntry(key) : hash.get("fix") ? Promise.resolve({ label: "" }) : Promise.resolve(null);
    lookup.then(function (entry) {
      if (shown && entry && entry.label) shown.textContent = entry.label;
      if (!entry && !key) {
        document.querySelectorAll("form[data-offline-needs] button[type=submit]").forEach(function (b) {
          b.disabled = true;
        });
        if (shown) shown.textContent = shown.dataset.missing;
      }
    });
  }

  // --- sending -----------------------------------------------------------------------------
  var sending = null;
  function send(entry, token) {
    var body = new FormData();
    body.append("key", entry.key);
    body.append("kind", entry.kind);
    Object.keys(entry.refs).forEach(function (name) { body.append(name, entry.refs[name]); });
    entry.fields.forEach(function (pair) {
      if (pair[1] instanceof Blob) body.append(pair[0], pair[1], pair[1].name || "foto");
      else body.append(pair[0], pair[1]);
    });
    return fetch(T.sync, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) throw new Error("signin");
      return response.json().then(function (answer) {
        if (response.status === 200) return dropEntry(entry.key);
        // refused (422), or a photo too big to send (413): the technician must act;
        // anything else (wait, too many tries, the server down) is tried again later
        entry.status = response.status === 422 || response.status === 413 ? "refused" : "waiting";
        entry.message = answer.message || answer.error || "";
        entry.errors = answer.errors || {};
        return putEntry(entry);
      });
    });
  }
  function sync() {
    if (sending || !navigator.onLine) return sending || Promise.resolve();
    sending = entries().then(function (list) {
      var ready = list.filter(function (e) { return e.status !== "refused"; });
      if (!ready.length) return;
      return fetch(T.state, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
            throw new Error("signin");
          }
          return response.json();
        })
        .then(function (state) {
          // one at a time, oldest first: a producer reaches the server before its farm
          return ready.reduce(function (done, entry) {
            return done.then(function () { return send(entry, state.csrf_token); });
          }, Promise.resolve());
        });
    }).catch(function (error) {
      if (error && error.message === "signin") say(T.signin, "warning");
    }).then(function () {
      sending = null;
      return refreshCount();
    });
    return sending;
  }
  window.minkaOutbox = {
    sync: sync,
    refresh: refreshCount,
    drop: function (key) { return dropEntry(key).then(refreshCount); }
  };

  // --- the pages kept for offline work --------------------------------------------------------
  function keepPages() {
    if (!("caches" in window) || !navigator.onLine) return Promise.resolve();
    var sameUser = localStorage.getItem(KEPT_FOR) === USER;
    var fresh = Date.now() - Number(localStorage.getItem(KEPT_AT) || 0) < REFRESH_MS;
    if (sameUser && fresh) return Promise.resolve();
    return (sameUser ? Promise.resolve() : caches.delete(PAGES)).then(function () {
      return fetch(T.state, { credentials: "same-origin", headers: { "Accept": "application/json" } });
    }).then(function (response) { return response.ok ? response.json() : null; }).then(function (state) {
      if (!state) return;
      return caches.open(PAGES).then(function (cache) {
        return Promise.all(state.pages.concat(state.places).map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && (response.headers.get("X-Minka-Offline") === "keep" || url.indexOf("/api/") === 0)) {
              return cache.put(url, response);
            }
          });
        }));
      }).then(function () {
        localStorage.setItem(KEPT_FOR, USER);
        localStorage.setItem(KEPT_AT, String(Date.now()));
      });
    }).catch(function () { /* kept next time */ });
  }
  // signing out: the kept pages (this technician's data) go; the queue stays, shown to no one else
  function isLogout(form) {
    return Boolean(form.action) && new URL(form.action).pathname === T.logout;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!isLogout(form)) return;
    event.preventDefault();
    localStorage.removeItem(KEPT_FOR);
    localStorage.removeItem(KEPT_AT);
    caches.delete(PAGES).then(function () { form.submit(); }, function () { form.submit(); });
  });

  // --- start --------------------------------------------------------------------------------
  var flash = sessionStorage.getItem(FLASH);
  if (flash) { sessionStorage.removeItem(FLASH); say(flash, "success"); }
  prefill();
  parent();
  window.addEventListener("online", sync);
  document.querySelectorAll("[data-sync-now]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!navigator.onLine) { say(T.noSignal, "warning"); return; }
      sync();
    });
  });
  var registered = "serviceWorker" in navigator
    ? navigator.serviceWorker.register(T.sw).then(function () { return navigator.serviceWorker.ready; })
    : Promise.resolve();
  Promise.all([registered, keepPages()]).catch(function () {}).then(function () {
    document.documentElement.dataset.offlineReady = "1";  // the browser tests wait for it
  });
  refreshCount().then(sync);
})();
