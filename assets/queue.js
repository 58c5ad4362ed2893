/* The dispatcher's queue on / follows the live feed: each batch of ticket changes the map receives (livemap.js
 * dispatches "live-batch") asks the queue to refresh, at most once every 2 s (a burst of changes is one refresh). */
(function () {
  "use strict";
  const MIN_GAP_MS = 2000;
  let last = 0, pending = null;

  function refresh() {
    pending = null;
    last = Date.now();
    if (document.getElementById("queue-panel") && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("queue-tick", {data: last});
    }
  }

  document.addEventListener("live-batch", function (e) {
    if (!e.detail || !e.detail.tickets || !e.detail.tickets.length || pending) return;
    pending = setTimeout(refresh, Math.max(0, last + MIN_GAP_MS - Date.now()));
  });
})();
