/* /supervision follows the live feed: every batch of tickets from /live/events (through livefeed.js's shared
 * connection, or this tab's own where SharedWorker is missing) nudges the page's "sup-live" store, and its Dash
 * callback re-reads the lists. Batches within a second are one nudge. Other pages: nothing happens (it connects once /supervision is shown). */
(function () {
  "use strict";
  // The store renders no element of its own: the page's root says the page is open.
  const STORE = "sup-live", PAGE = "sup-page", QUIET_MS = 1000;
  let feed = null, timer = null;

  function nudge() {
    if (timer) return;
    timer = window.setTimeout(function () {
      timer = null;
      if (document.getElementById(PAGE) && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props(STORE, {data: {at: Date.now()}});
      }
    }, QUIET_MS);
  }

  function onFeed(message) {
    if (message.type === "batch") {
      const batch = JSON.parse(message.data);
      if (batch.tickets && (batch.tickets.rows || batch.tickets).length) nudge();
    } else if (message.type === "reset") {
      follow();
    }
  }

  function connect() {
    const script = document.querySelector("script[src*='/livefeed.js']");
    if (window.SharedWorker && script) {
      try {
        const port = new SharedWorker(script.src, {name: "tiedong-live"}).port;
        port.onmessage = function (e) { onFeed(e.data); };
        port.start();
        window.addEventListener("pagehide", function () { port.postMessage({type: "bye"}); });
        return {follow: function (cursor) { port.postMessage({type: "follow", cursor: cursor}); }};
      } catch (error) { /* blocked: a connection of this tab's own below */ }
    }
    const own = new window.LiveConnection(onFeed);
    return {follow: function (cursor) { own.follow(cursor); }};
  }

  // The feed is followed from the cursor of a fresh snapshot (the page has just read its lists).
  function follow() {
    fetch("/live/snapshot", {cache: "no-store"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (snap) { if (snap) { feed.follow(snap.cursor); nudge(); } })
      .catch(function () { window.setTimeout(follow, 5000); });
  }

  // Dash renders the page after the scripts ran: wait for the store to appear (then stop watching).
  const watcher = new MutationObserver(start);
  function start() {
    if (feed || !document.getElementById(PAGE)) return;
    watcher.disconnect();
    feed = connect();
    follow();
  }

  watcher.observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", start);
})();
