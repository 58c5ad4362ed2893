/* Pages that follow the live feed without a map (/supervision, /tickets): every batch of tickets from /live/events
 * (through livefeed.js's shared connection, or this tab's own where SharedWorker is missing) nudges the open page's
 * store, and its Dash callback re-reads what it shows (and redraws only what changed). Batches within a second are
 * one nudge. A page's root says it is open, and with data-live="1" that its reader holds the feed (an operator on
 * /tickets does not: the page's own slow tick is all it has). Other pages: nothing happens (it connects once one
 * of these is shown). */
(function () {
  "use strict";
  // root id → the store the batches nudge (the store renders no element of its own)
  const PAGES = {"sup-page": "sup-live", "tickets-page": "tickets-live"}, QUIET_MS = 1000;
  let feed = null, timer = null;

  function openPage() {
    for (const root in PAGES) {
      const element = document.getElementById(root);
      if (element && element.dataset.live === "1") return root;
    }
    return null;
  }

  function nudge() {
    if (timer) return;
    timer = window.setTimeout(function () {
      timer = null;
      const root = openPage();
      if (root && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props(PAGES[root], {data: {at: Date.now()}});
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

  // The feed is followed from the cursor of a fresh snapshot (the page has just read what it shows).
  function follow() {
    fetch("/live/snapshot", {cache: "no-store"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (snap) { if (snap) { feed.follow(snap.cursor); nudge(); } })
      .catch(function () { window.setTimeout(follow, 5000); });
  }

  // Dash renders the page after the scripts ran: wait for such a page to appear (then stop watching).
  const watcher = new MutationObserver(start);
  function start() {
    if (feed || !openPage()) return;
    watcher.disconnect();
    feed = connect();
    follow();
  }

  watcher.observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", start);
})();
