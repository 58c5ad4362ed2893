/* One live connection per browser, shared by all its tabs.
 *
 * Why: over HTTP/1.1 a browser keeps at most 6 connections per host across all its tabs. With one EventSource per
 * tab, an operator with /, /wall and a few other screens open had used them all up, and every further request of
 * that browser (a page, a dispatch click) waited. Here a SharedWorker holds the one EventSource to /live/events
 * and hands each message to every tab.
 *
 * This file is both the worker's script and a page asset: in a page it only defines window.LiveConnection, which
 * livemap.js uses directly where SharedWorker (or EventSource inside workers) is missing; each tab then holds its
 * own connection, as before.
 *
 * The connection reconnects by itself after any failure, from the last cursor it saw, after a pause that doubles
 * up to MAX_MS and is jittered (a server restart or a Redis outage must not bring every browser back in step).
 */
(function (scope) {
  "use strict";
  const BASE_MS = 1000, MAX_MS = 10000;
  const WATCHDOG_MS = 40000;     // the server pings every 15 s: silence this long means a dead line

  function ids(cursor) { return cursor.split("|").map(id => id.split("-").map(Number)); }
  function before(a, b) { return a[0] < b[0] || (a[0] === b[0] && (a[1] || 0) < (b[1] || 0)); }
  // True when cursor a is behind b on any stream: following from b would skip what lies between.
  function behind(a, b) {
    const x = ids(a), y = ids(b);
    return x.some((id, i) => before(id, y[i]));
  }

  function LiveConnection(emit) {
    this.emit = emit;
    this.source = null;
    this.cursor = null;      // where the next (re)connection resumes
    this.from = null;        // the cursor this run of the feed started from
    this.failures = 0;
    this.retry = null;
    this.watchdog = null;
    this.link = false;
    this.live = true;
  }

  // A tab loaded its snapshot at ``cursor``: follow from there, or from there again when it lies behind the point
  // this feed started from (its tab would miss what came in between). A null cursor (Redis was away) connects
  // anyway: the server says "reset" as soon as the feed is live, and the tab reloads.
  LiveConnection.prototype.follow = function (cursor) {
    if (cursor && this.from && !behind(cursor, this.from)) return;
    if (!cursor && (this.source || this.retry)) return;
    this.from = this.cursor = cursor;
    this.failures = 0;
    this.open();
  };

  LiveConnection.prototype.state = function () {
    return {type: "state", link: this.link, live: this.live};
  };

  LiveConnection.prototype.setLink = function (up) {
    if (this.link === up) return;
    this.link = up;
    this.emit({type: "link", up: up});
  };

  LiveConnection.prototype.close = function () {
    if (this.source) this.source.close();
    this.source = null;
    clearTimeout(this.watchdog);
    clearTimeout(this.retry);
    this.retry = null;
  };

  LiveConnection.prototype.open = function () {
    const self = this;
    this.close();
    const source = this.source = new EventSource(
      "/live/events" + (this.cursor ? "?cursor=" + encodeURIComponent(this.cursor) : ""));
    const alive = function () {
      clearTimeout(self.watchdog);
      self.watchdog = setTimeout(function () { self.failed(); }, WATCHDOG_MS);
    };
    alive();
    source.onopen = function () { self.failures = 0; self.setLink(true); alive(); };
    source.addEventListener("ping", alive);
    source.addEventListener("batch", function (e) {
      alive();
      self.cursor = e.lastEventId || self.cursor;
      self.emit({type: "batch", id: self.cursor, data: e.data});
    });
    source.addEventListener("status", function (e) {
      alive();
      self.live = JSON.parse(e.data).live;
      self.emit({type: "status", live: self.live});
    });
    source.addEventListener("reset", function () {
      // The stream no longer holds our cursor: every tab reloads its snapshot and calls follow() again.
      self.close();
      self.from = self.cursor = null;
      self.live = true;
      self.emit({type: "reset"});
    });
    source.onerror = function () { if (self.source === source) self.failed(); };
  };

  LiveConnection.prototype.failed = function () {
    const self = this;
    this.close();
    this.setLink(false);
    const pause = Math.min(MAX_MS, BASE_MS * Math.pow(2, this.failures)) * (0.5 + Math.random());
    this.failures += 1;
    this.retry = setTimeout(function () { self.retry = null; self.open(); }, pause);
  };

  const inSharedWorker = typeof SharedWorkerGlobalScope !== "undefined" && scope instanceof SharedWorkerGlobalScope;
  if (!inSharedWorker) {
    scope.LiveConnection = LiveConnection;
    return;
  }

  // ---- the SharedWorker: one LiveConnection, every tab's port
  const ports = new Set();
  const emit = function (message) { for (const port of ports) port.postMessage(message); };
  const connection = typeof EventSource === "undefined" ? null : new LiveConnection(emit);
  scope.onconnect = function (event) {
    const port = event.ports[0];
    if (!connection) { port.postMessage({type: "unsupported"}); return; }
    ports.add(port);
    port.onmessage = function (e) {
      const message = e.data || {};
      if (message.type === "follow") connection.follow(message.cursor);
      else if (message.type === "bye") ports.delete(port);
    };
    port.postMessage(connection.state());
  };
})(self);
