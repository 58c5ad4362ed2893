// The 数据连接中断 banner (screens/shell.py outage_banner; the server's side is security/outages.py). A callback
// that answers 503 with code database_unavailable marks <html> with .db-outage, which shows the banner; while it
// shows, /healthz/database is probed every few seconds, and the first answer that the database is back (or any
// callback that works again) takes it away. Without this, a failed callback shows nothing at all: the page just
// stops changing.
(function () {
  if (!window.fetch) { return; }
  const PROBE_URL = "/healthz/database";
  const PROBE_MS = 2000;
  const originalFetch = window.fetch;
  let timer = null;

  function setDown(down) {
    document.documentElement.classList.toggle("db-outage", down);
    if (down && timer === null) {
      timer = window.setInterval(probe, PROBE_MS);
    } else if (!down && timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  function probe() {
    originalFetch(PROBE_URL, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { if (response.ok) { setDown(false); } })
      .catch(function () { /* the app itself is unreachable: keep the banner, keep probing */ });
  }

  window.fetch = function (resource) {
    return originalFetch.apply(this, arguments).then(function (response) {
      const url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (url.indexOf("_dash-update-component") !== -1) {
        if (response.status === 503) {
          response.clone().json().then(function (body) {
            if (body && body.error && body.error.code === "database_unavailable") { setDown(true); }
          }).catch(function () {});
        } else if (response.ok && timer !== null) {
          setDown(false);
        }
      }
      return response;
    });
  };
})();
