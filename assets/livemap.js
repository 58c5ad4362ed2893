/* Live layers of the command-center maps: open tickets and crews, owned by MapLibre (not Plotly).
 *
 * Why: every Plotly map update re-processes every trace (~1 s with the 12,000 static points here), so live
 * data goes into MapLibre GeoJSON sources on the map Plotly created, with at most one redraw in flight and
 * everything that arrives meanwhile merged into the next one. Data: a snapshot from /live/snapshot, then
 * server-sent events from /live/events through one connection per browser (livefeed.js: a SharedWorker shared by
 * all tabs). The feed resumes from its cursor after a reconnect; the tab reloads the snapshot only when the
 * server says the stream no longer holds it. While the feed is down the map keeps its last state and says so.
 *
 * Snapshot and batches come in a compact form (services/live.py): rows under a header, times in one ISO 8601
 * format. Versions of a ticket are compared as dates (epoch ms), never as strings.
 */
(function () {
  "use strict";
  const LIVE_GRAPHS = ["command-map", "wall-map"];
  const OPEN = new Set(["registered", "dispatched", "accepted", "on_site", "returned", "escalated",
                        "joint_meeting", "reopened"]);
  const TICKET_COLOURS = ["match", ["get", "state"],
    "registered", "#ff5a5f", "returned", "#ff5a5f", "reopened", "#ff5a5f",
    "dispatched", "#ffb020", "accepted", "#ffb020",
    "on_site", "#b18cff", "escalated", "#ff2bd6", "joint_meeting", "#ff2bd6", "#ffffff"];
  const CREW_COLOURS = ["match", ["get", "status"],
    "available", "#36d67a", "en_route", "#ffb020", "on_scene", "#ff4d4f", "off_duty", "#8795a8", "#ffffff"];
  const PAINT_LOG_LIMIT = 2000;   // remembered paint times, for tests and the bench; bounded for long runs
  const GONE_LIMIT = 5000;        // tickets that left the map, remembered so that older news cannot bring them back
  const BANNER_AFTER_MS = 1500;
  // Bottom to top: the lines from crews to their jobs, the crews, then the tickets (a crew never hides a ticket).
  const LIVE_LAYERS = ["live-crew-lines", "live-crews", "live-clusters", "live-tickets", "live-standout-halo", "live-standout"];
  const URGENCY_REFRESH_MS = 30 * 1000;   // a ticket crosses its deadline without any news: recolour by the clock   // a reconnect quicker than this is not worth alarming anybody

  const state = {
    tickets: new Map(), crews: new Map(), map: null, graph: null, onWall: false, started: false, cursor: null,
    dirty: false, inFlight: false, ticketsChanged: false, crewsChanged: false, linesChanged: false,
    jobs: new Map(), pendingNumbers: [], paintedAt: new Map(), receivedAt: new Map(), renders: 0,
    batches: 0, snapshots: 0, renderMs: [], gone: new Map(),
    lastBatchAt: null, lastDataAt: null, connected: false, live: true, everConnected: false, snapshotFailing: false,
    awaitingSnapshot: false, buffered: [], shared: false, banner: false, following: undefined, feedLog: [],
  };
  window.liveMap = state;

  // How urgent a ticket is, for the colour of the cluster it falls in (the most urgent member wins): 3 breached (a
  // deadline passed), 2 arrival at risk (the crew must be there within ARRIVAL_RISK_MS), 1 waiting for dispatch,
  // 0 in hand. Priority-1 tickets and breaches are never clustered: they are drawn on their own, with a halo.
  const WAITING = new Set(["registered", "returned", "reopened"]);
  const ARRIVAL_RISK_MS = 10 * 60 * 1000;
  const URGENCY_COLOURS = ["match", ["get", "urgency"], 3, "#ff3b3b", 2, "#ff8c1a", 1, "#ffd23f", "#4fb3ff"];
  function urgencyOf(t, now) {
    const arrival = t.arrival_due ? Date.parse(t.arrival_due) : null;
    const resolve = t.resolve_due ? Date.parse(t.resolve_due) : null;
    if ((resolve && resolve < now) || (arrival && arrival < now)) return 3;
    if (arrival && arrival - now < ARRIVAL_RISK_MS) return 2;
    return WAITING.has(t.state) ? 1 : 0;
  }
  function standsOut(t, now) { return t.priority === 1 || urgencyOf(t, now) === 3; }

  function ticketFeature(t) {
    return {type: "Feature", id: t.number,
            geometry: {type: "Point", coordinates: [t.lon, t.lat]},
            properties: {id: t.number, state: t.state, priority: t.priority, urgency: urgencyOf(t, Date.now())}};
  }
  function clusteredTickets() {
    const now = Date.now();
    return collection(state.tickets, ticketFeature, function (t) { return !standsOut(t, now); });
  }
  function standoutTickets() {
    const now = Date.now();
    return collection(state.tickets, ticketFeature, function (t) { return standsOut(t, now); });
  }

  function crewFeature(c) {
    return {type: "Feature", id: c.code, geometry: {type: "Point", coordinates: [c.lon, c.lat]},
            properties: {id: c.code, status: c.status, worker: c.worker ? 1 : 0}};
  }

  function collection(items, toFeature, shown) {
    const features = [];
    for (const item of items.values()) if (!shown || shown(item)) features.push(toFeature(item));
    return {type: "FeatureCollection", features: features};
  }

  // From five metres the wall needs the crews that are out or can be sent: department crews on duty and anyone on
  // a job. The grid workers waiting in their cells (one per cell, ~900) and off-duty crews stay on the dispatch
  // map; leaving them out also spares the wall PC a third of the points it must draw at start-up.
  function crewOnWall(c) {
    if (c.status === "off_duty") return false;
    return !c.worker || c.status !== "available";
  }

  function crewCollection() {
    return collection(state.crews, crewFeature, state.onWall ? crewOnWall : null);
  }

  // ---- crews on a job: a thin line from the crew to its ticket
  //
  // ``state.jobs`` maps a crew's code to the number of the open ticket it was sent to (the ticket row's ``crew``).
  // It is kept as tickets come and go, so that a crew's move redraws the lines only when that crew has a job, and
  // the line source holds tens of features, not one per ticket: its rebuild costs nothing next to the tickets'.
  const ON_A_JOB = new Set(["en_route", "on_scene"]);
  const LINE_COLOURS = ["match", ["get", "status"], "on_scene", "#ff4d4f", "#ffb020"];

  function setJob(before, after) {
    if (before && before.crew && state.jobs.get(before.crew) === before.number) state.jobs.delete(before.crew);
    if (after && after.crew) state.jobs.set(after.crew, after.number);     // the latest news of a crew's job wins
    if ((before && before.crew) || (after && after.crew)) state.linesChanged = true;
  }

  function rebuildJobs() {
    state.jobs = new Map();
    const newest = new Map();
    for (const t of state.tickets.values()) {
      if (!t.crew) continue;
      const known = newest.get(t.crew);
      if (!known || known.at < t.at) newest.set(t.crew, t);
    }
    for (const [code, t] of newest) state.jobs.set(code, t.number);
    state.linesChanged = true;
  }

  function lineCollection() {
    const features = [];
    for (const [code, number] of state.jobs) {
      const crew = state.crews.get(code), t = state.tickets.get(number);
      if (!crew || !t || t.crew !== code || !ON_A_JOB.has(crew.status)) continue;
      if (crew.lon == null || t.lon == null) continue;
      features.push({type: "Feature", id: code,
                     geometry: {type: "LineString", coordinates: [[crew.lon, crew.lat], [t.lon, t.lat]]},
                     properties: {crew: code, ticket: number, status: crew.status}});
    }
    return {type: "FeatureCollection", features: features};
  }

  // Rows under a header (the compact wire form) → objects; ``at`` = updated_at in epoch ms, for comparing.
  function rows(table) {
    if (!table || !table.rows) return [];
    const fields = table.fields;
    return table.rows.map(function (row) {
      const item = {};
      for (let i = 0; i < fields.length; i++) item[fields[i]] = row[i];
      if (item.updated_at) item.at = Date.parse(item.updated_at);
      return item;
    });
  }

  // Older news never wins: not against the version shown, nor against the version that took a ticket off the map
  // (relays publish concurrently, and a snapshot overlaps the stream it follows).
  function isOlder(t) {
    const known = state.tickets.get(t.number);
    if (known) return t.at < known.at;
    const gone = state.gone.get(t.number);
    return gone !== undefined && t.at <= gone;
  }

  // A snapshot replaces what is shown, except what the stream brought that is newer than the snapshot (a reload
  // after a reset may get a snapshot built up to a second before the last batch): a ticket missing from it was
  // closed by then, unless the version shown is younger than the snapshot itself.
  function replaceTickets(tickets, takenAt) {
    const shown = state.tickets;
    state.tickets = new Map();
    for (const t of tickets) {
      const known = shown.get(t.number);
      if (known && known.at > t.at) state.tickets.set(t.number, known);
      else if (!isOlder(t)) state.tickets.set(t.number, t);
    }
    for (const [number, known] of shown) {
      if (state.tickets.has(number)) continue;
      if (known.at > takenAt) state.tickets.set(number, known);
      else state.gone.set(number, takenAt);
    }
    while (state.gone.size > GONE_LIMIT) state.gone.delete(state.gone.keys().next().value);
    rebuildJobs();
  }

  function applyTicket(t) {
    if (isOlder(t)) return;
    setJob(state.tickets.get(t.number), OPEN.has(t.state) ? t : null);
    if (OPEN.has(t.state)) {
      state.tickets.set(t.number, t);
      state.gone.delete(t.number);
    } else {
      state.tickets.delete(t.number);
      state.gone.delete(t.number);
      state.gone.set(t.number, t.at);
      while (state.gone.size > GONE_LIMIT) state.gone.delete(state.gone.keys().next().value);
    }
    state.pendingNumbers.push(t.number);
    state.ticketsChanged = true;
  }

  function applyCrew(c) {
    const known = state.crews.get(c.code);
    if (known) Object.assign(known, c); else if (c.lon !== undefined) state.crews.set(c.code, c);
    state.crewsChanged = true;
    if (state.jobs.has(c.code)) state.linesChanged = true;
  }

  // Cluster circles sized by count; on the wall larger, so that its counts (24 px, read from five metres) fit.
  const CLUSTER_RADII = ["step", ["get", "point_count"], 13, 10, 17, 50, 22, 200, 28, 1000, 34];
  const WALL_CLUSTER_RADII = ["step", ["get", "point_count"], 18, 10, 22, 100, 27, 1000, 34];

  // Priority-1 and late tickets stand out at every zoom, smaller at district zoom so that a bad day's hundreds of
  // them do not become the carpet that clustering removed.
  const STANDOUT_RADII = ["interpolate", ["linear"], ["zoom"], 11, 4, 14, 7];
  const STANDOUT_HALO_RADII = ["interpolate", ["linear"], ["zoom"], 11, 8, 14, 14];

  function addLayers(map) {
    if (!map.getSource("live-crew-lines")) {
      map.addSource("live-crew-lines", {type: "geojson", data: lineCollection()});
      map.addLayer({id: "live-crew-lines", type: "line", source: "live-crew-lines",
        layout: {"line-cap": "round"},
        paint: {"line-color": LINE_COLOURS, "line-opacity": 0.85,
                "line-width": state.onWall ? 2.5 : ["interpolate", ["linear"], ["zoom"], 11, 1, 15, 2]}});
    }
    if (!map.getSource("live-crews")) {
      map.addSource("live-crews", {type: "geojson", data: crewCollection()});
      map.addLayer({id: "live-crews", type: "circle", source: "live-crews", paint: {
        "circle-color": CREW_COLOURS, "circle-radius": ["case", ["==", ["get", "worker"], 1], 2.5, 5],
        "circle-stroke-color": "#0a1624", "circle-stroke-width": ["case", ["==", ["get", "worker"], 1], 0, 1]}});
    }
    if (!map.getSource("live-tickets")) {
      // MapLibre clusters the ordinary tickets itself (its worker recounts on each setData; no redraw of ours):
      // a circle per cluster, sized by count and coloured by its most urgent member; single tickets from the zoom
      // where they no longer overlap.
      map.addSource("live-tickets", {type: "geojson", data: clusteredTickets(), cluster: true, clusterRadius: 46,
                                     clusterMaxZoom: 15, clusterProperties: {urgency: ["max", ["get", "urgency"]]}});
      map.addLayer({id: "live-clusters", type: "circle", source: "live-tickets", filter: ["has", "point_count"],
        paint: {"circle-color": URGENCY_COLOURS, "circle-opacity": 0.88, "circle-stroke-color": "#0a1624",
                "circle-stroke-width": 2,
                "circle-radius": state.onWall ? WALL_CLUSTER_RADII : CLUSTER_RADII}});
      map.addLayer({id: "live-tickets", type: "circle", source: "live-tickets", filter: ["!", ["has", "point_count"]],
        paint: {"circle-color": TICKET_COLOURS, "circle-radius": 5,
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2, "circle-opacity": 0.95}});
      map.addSource("live-standout", {type: "geojson", data: standoutTickets()});
      map.addLayer({id: "live-standout-halo", type: "circle", source: "live-standout", paint: {
        "circle-color": ["case", ["==", ["get", "urgency"], 3], "#ff3b3b", "#ff2bd6"], "circle-opacity": 0.28,
        "circle-radius": STANDOUT_HALO_RADII, "circle-blur": 0.4}});
      map.addLayer({id: "live-standout", type: "circle", source: "live-standout", paint: {
        "circle-color": TICKET_COLOURS, "circle-radius": STANDOUT_RADII, "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2, "circle-opacity": 1}});
      for (const layer of ["live-tickets", "live-standout"]) {
        map.on("click", layer, function (e) {
          const f = e.features && e.features[0];
          if (f && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("live-selected-ticket", {data: {number: f.properties.id, at: Date.now()}});
          }
        });
      }
      map.on("click", "live-clusters", function (e) {
        const f = e.features && e.features[0];
        if (!f) return;
        const zoomed = map.getSource("live-tickets").getClusterExpansionZoom(f.properties.cluster_id);
        Promise.resolve(zoomed).then(function (zoom) {
          map.easeTo({center: f.geometry.coordinates, zoom: Math.min(zoom, 17)});
        }).catch(function () {});
      });
      for (const layer of ["live-tickets", "live-standout", "live-clusters"]) {
        map.on("mouseenter", layer, function () { map.getCanvas().style.cursor = "pointer"; });
        map.on("mouseleave", layer, function () { map.getCanvas().style.cursor = ""; });
      }
      map.on("render", scheduleCounts);
    }
  }

  // Cluster counts as small labels over the canvas: the map serves no glyphs for digits (no font server; CJK comes
  // from local fonts), so the numbers are HTML, placed after each frame for the clusters MapLibre drew.
  let countsPending = false;
  function scheduleCounts() {
    if (countsPending) return;
    countsPending = true;
    window.requestAnimationFrame(function () { countsPending = false; placeCounts(); });
  }
  function countLayer(map) {
    const canvas = map.getCanvasContainer();
    let layer = canvas.querySelector(".live-counts");
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "live-counts";
      canvas.appendChild(layer);
    }
    return layer;
  }
  function placeCounts() {
    const map = state.map;
    if (!map || !map.getLayer("live-clusters")) return;
    const seen = new Map();
    for (const f of map.queryRenderedFeatures({layers: ["live-clusters"]})) {
      if (!seen.has(f.properties.cluster_id)) seen.set(f.properties.cluster_id, f);
    }
    const layer = countLayer(map);
    const labels = layer.children;
    let i = 0;
    for (const f of seen.values()) {
      const p = map.project(f.geometry.coordinates);
      let el = labels[i];
      if (!el) { el = document.createElement("span"); layer.appendChild(el); }
      const text = String(f.properties.point_count);
      if (el.textContent !== text) el.textContent = text;
      el.style.transform = "translate(" + Math.round(p.x) + "px," + Math.round(p.y) + "px) translate(-50%,-50%)";
      i++;
    }
    while (labels.length > i) layer.removeChild(layer.lastChild);
    state.clusters = seen.size;
  }

  // Plotly re-adds its own layers when its traces change (a relayout, a recolour): keep ours above its cells and
  // cameras but below its text (street and community names stay readable over the dots).
  function keepOnTop(map) {
    const layers = map.getStyle().layers;
    const ours = layers.filter(l => LIVE_LAYERS.includes(l.id)).map(l => l.id);
    // The text layers Plotly draws last (street, community names): ours go just below the first of them.
    let labels = -1;
    for (let i = layers.length - 1; i >= 0; i--) {
      if (LIVE_LAYERS.includes(layers[i].id)) continue;
      if (layers[i].type !== "symbol") break;
      labels = i;
    }
    const before = labels >= 0 ? layers[labels].id : undefined;
    const last = layers.findIndex(l => l.id === "live-standout");
    const inPlace = ours.join() === LIVE_LAYERS.filter(id => map.getLayer(id)).join() &&
      (before === undefined ? last === layers.length - 1 : last === labels - 1);
    if (inPlace) return;
    for (const id of LIVE_LAYERS) if (map.getLayer(id)) map.moveLayer(id, before);
  }

  function render() {
    if (!state.map || !state.dirty) return;
    state.dirty = false;
    state.inFlight = true;
    const started = Date.now();
    const numbers = state.pendingNumbers;
    const map = state.map;
    state.pendingNumbers = [];
    addLayers(map);
    keepOnTop(map);
    // Only the sources that changed are re-sent to MapLibre's worker.
    const changed = [];
    if (state.ticketsChanged) { map.getSource("live-tickets").setData(clusteredTickets());
                                map.getSource("live-standout").setData(standoutTickets());
                                changed.push("live-tickets", "live-standout"); }
    if (state.crewsChanged) { map.getSource("live-crews").setData(crewCollection());
                              changed.push("live-crews"); }
    if (state.linesChanged) { map.getSource("live-crew-lines").setData(lineCollection());
                              changed.push("live-crew-lines"); }
    state.ticketsChanged = state.crewsChanged = state.linesChanged = false;
    let finished = false;
    const loaded = new Set();
    // Painted = the first frame drawn after the worker has the new data (not "idle": symbol fades and other
    // layers' work would be counted too).
    const onData = function (e) {
      if (changed.includes(e.sourceId) && e.isSourceLoaded) loaded.add(e.sourceId);
      if (loaded.size === changed.length) { map.off("sourcedata", onData); map.once("render", done); }
    };
    const done = function () {
      if (finished) return;
      finished = true;
      map.off("sourcedata", onData);
      const now = Date.now();
      state.renderMs.push(now - started);
      if (state.renderMs.length > 200) state.renderMs.shift();
      for (const n of numbers) state.paintedAt.set(n, now);
      while (state.paintedAt.size > PAINT_LOG_LIMIT) state.paintedAt.delete(state.paintedAt.keys().next().value);
      state.renders += 1;
      state.inFlight = false;
      if (state.dirty) window.requestAnimationFrame(render);
    };
    if (changed.length === 0) { done(); return; }
    map.on("sourcedata", onData);
    window.setTimeout(done, 3000);   // a worker that never answers must not stall the feed
  }

  function scheduleRender() {
    state.dirty = true;
    if (!state.inFlight) window.requestAnimationFrame(render);
  }

  function applyBatch(batch) {
    const now = Date.now();
    const tickets = rows(batch.tickets);
    for (const t of tickets) { applyTicket(t); if (!state.receivedAt.has(t.number)) state.receivedAt.set(t.number, now); }
    while (state.receivedAt.size > PAINT_LOG_LIMIT) state.receivedAt.delete(state.receivedAt.keys().next().value);
    for (const c of batch.crews || []) applyCrew(c);
    state.batches += 1;
    state.lastBatchAt = state.lastDataAt = Date.now();
    document.dispatchEvent(new CustomEvent("live-batch", {detail: {tickets: tickets, crews: batch.crews || []}}));
    scheduleRender();
  }

  // ---- the feed: one connection per browser (livefeed.js), or this tab's own where SharedWorker is missing

  let feed = null;
  function openFeed() {
    if (feed) return;
    const script = document.querySelector("script[src*='/livefeed.js']");
    if (window.SharedWorker && script) {
      try {
        const worker = new SharedWorker(script.src, {name: "tiedong-live"});
        const port = worker.port;
        port.onmessage = function (e) { onFeed(e.data); };
        port.start();
        window.addEventListener("pagehide", function () { port.postMessage({type: "bye"}); });
        feed = {follow: function (cursor) { port.postMessage({type: "follow", cursor: cursor}); }};
        state.shared = true;
        return;
      } catch (error) { /* blocked (e.g. a sandboxed frame): fall through to a connection of this tab's own */ }
    }
    ownFeed();
  }

  function ownFeed() {
    const connection = new window.LiveConnection(onFeed);
    feed = {follow: function (cursor) { connection.follow(cursor); }};
    state.shared = false;
  }

  function onFeed(message) {
    state.feedLog.push([Date.now(), message.type, message.live, message.up, message.link]);   // for diagnosis
    if (state.feedLog.length > 50) state.feedLog.shift();
    if (message.type === "batch") {
      state.cursor = message.id;
      if (state.awaitingSnapshot) state.buffered.push(message.data);
      else applyBatch(JSON.parse(message.data));
    } else if (message.type === "status") {
      state.live = message.live;
    } else if (message.type === "link") {
      state.connected = message.up;
      if (message.up) state.everConnected = true;
    } else if (message.type === "state") {
      state.connected = message.link;
      state.live = message.live;
      if (message.link) state.everConnected = true;
    } else if (message.type === "reset") {
      state.live = true;
      // Every open tab of every browser hears this at once: spread the reloads over a second and a half.
      window.setTimeout(loadSnapshot, Math.random() * 1500);
    } else if (message.type === "unsupported") {
      const queued = state.following;
      ownFeed();
      if (queued !== undefined) feed.follow(queued);
    }
    showBanner();
  }

  function fetchSnapshot() {
    return fetch("/live/snapshot", {cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error("snapshot " + r.status);
      return r.json();
    });
  }

  let snapshotFailures = 0;
  function loadSnapshot() {
    // Batches that arrive while the snapshot travels are kept and applied after it (older ones lose to it).
    state.awaitingSnapshot = true;
    state.buffered = [];
    // The first snapshot was asked for while the map was still loading (see the poller below).
    const pending = state.prefetched || fetchSnapshot();
    state.prefetched = null;
    pending.then(function (snap) {
      snapshotFailures = 0;
      state.snapshotFailing = false;
      replaceTickets(rows(snap.tickets), Date.parse(snap.taken_at));
      state.crews.clear();
      state.snapshots += 1;
      for (const c of rows(snap.crews)) state.crews.set(c.code, c);
      state.awaitingSnapshot = false;
      for (const data of state.buffered) applyBatch(JSON.parse(data));
      state.buffered = [];
      state.cursor = snap.cursor;
      state.lastDataAt = Date.now();
      state.ticketsChanged = state.crewsChanged = state.linesChanged = true;
      document.dispatchEvent(new CustomEvent("live-snapshot", {detail: snap}));
      showCapNote(snap.open_total, rows(snap.tickets).length);
      scheduleRender();
      state.following = snap.cursor;
      feed.follow(snap.cursor);
      showBanner();
    }).catch(function () {
      // The dashboard or PostGIS is away: keep what is shown, say so, try again later and not in step.
      state.snapshotFailing = true;
      showBanner();
      const pause = Math.min(30000, 2000 * Math.pow(2, snapshotFailures)) * (0.5 + Math.random());
      snapshotFailures += 1;
      window.setTimeout(loadSnapshot, pause);
    });
  }

  // ---- the outage banner: the map keeps its last state, and says how old it is

  let bannerTimer = null;
  function feedDown() {
    return state.snapshotFailing || (state.everConnected && (!state.connected || !state.live));
  }

  function showBanner() {
    if (!feedDown()) {
      window.clearTimeout(bannerTimer);
      bannerTimer = null;
      setBanner(false);
    } else if (!state.banner && bannerTimer === null) {
      bannerTimer = window.setTimeout(function () { bannerTimer = null; setBanner(feedDown()); }, BANNER_AFTER_MS);
    }
  }

  function setBanner(visible) {
    state.banner = visible;
    let el = document.getElementById("live-banner");
    if (!visible) { if (el) el.hidden = true; return; }
    if (!el) {
      el = document.createElement("div");
      el.id = "live-banner";
      el.className = "live-banner";
      el.setAttribute("role", "status");
      el.innerHTML = '<span class="live-banner-dot"></span><span class="live-banner-text">实时数据中断，正在重连…</span>' +
                     '<span class="live-banner-since"></span>';
      document.body.appendChild(el);
    }
    const since = state.lastDataAt ? new Date(state.lastDataAt).toLocaleTimeString("zh-CN", {hour12: false}) : "";
    el.querySelector(".live-banner-since").textContent = since ? "地图停留在 " + since + " 的状态" : "";
    placeBanner(el);
    el.hidden = false;
  }

  // ---- more open tickets than a snapshot holds (LIVE_SNAPSHOT_MAX_TICKETS): the map shows the most urgent
  // ones and says so, rather than leaving the rest out unseen
  function showCapNote(total, shown) {
    let el = document.getElementById("live-cap-note");
    if (!(total > shown)) { if (el) el.hidden = true; return; }
    if (!el) {
      el = document.createElement("div");
      el.id = "live-cap-note";
      el.className = "live-cap-note";
      el.setAttribute("role", "status");
      document.body.appendChild(el);
    }
    el.textContent = "地图显示最紧急的 " + shown.toLocaleString("zh-CN") + " 件，共 " +
                     total.toLocaleString("zh-CN") + " 件未办结";
    const rect = state.graph && state.graph.getBoundingClientRect();
    if (rect && rect.width) {
      el.style.left = (rect.left + rect.width / 2) + "px";
      el.style.top = (rect.top + 12) + "px";
    }
    el.hidden = false;
  }

  // Over the live map, at the bottom of it: on the wall the map is only part of the screen (the ticker and the
  // tiles around it must stay readable).
  function placeBanner(el) {
    const rect = state.graph && state.graph.getBoundingClientRect();
    if (!rect || !rect.width) return;
    el.style.left = (rect.left + rect.width / 2) + "px";
    el.style.bottom = (window.innerHeight - rect.bottom + 24) + "px";
  }
  window.addEventListener("resize", function () {
    const el = document.getElementById("live-banner");
    if (el && !el.hidden) placeBanner(el);
  });

  function findMap() {
    for (const id of LIVE_GRAPHS) {
      const host = document.getElementById(id);
      const gd = host && host.querySelector(".js-plotly-plot");
      const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      if (sub && sub.map) return {gd: gd, map: sub.map, onWall: id === "wall-map"};
    }
    return null;
  }

  // ?live=off: a static map (a printout, or a benchmark driving its own updates).
  if (new URLSearchParams(window.location.search).get("live") === "off") return;

  // Dash may re-create the graph (page change); keep looking and re-attach to whichever map is current. Look often
  // until attached (every 300 ms of delay here is 300 ms more before the wall's first paint), then rarely.
  const SEARCH_MS = 40, WATCH_MS = 300;
  function watchForMap() {
    window.setTimeout(watchForMap, attachOrWait() ? WATCH_MS : SEARCH_MS);
  }

  function attachOrWait() {
    const found = findMap();
    if (!found) {
      state.map = null;
      const host = LIVE_GRAPHS.some(id => document.getElementById(id));
      if (host && !state.started && !state.prefetched) {   // overlap with map load; join the feed first
        openFeed();
        state.prefetched = fetchSnapshot();
        state.prefetched.catch(function () {});           // failures are handled when it is taken
      }
      return false;
    }
    if (found.map === state.map) return true;
    // Attach as soon as the style is in: the live sources then load in MapLibre's worker alongside Plotly's
    // layers instead of after them.
    if (!found.map.isStyleLoaded()) return false;
    state.map = found.map;
    state.graph = found.gd;
    state.onWall = found.onWall;
    // No 300 ms label fade after each update: on a software-rendered wall PC every fade frame costs the CPU the
    // next update needs. (Plotly creates the map, so the option is set on the instance.)
    state.map._fadeDuration = 0;
    state.map.on("styledata", function () {
      if (state.map === found.map) { addLayers(found.map); keepOnTop(found.map); }
    });
    if (!state.started) { state.started = true; openFeed(); loadSnapshot(); }
    else { state.ticketsChanged = state.crewsChanged = state.linesChanged = true; scheduleRender(); }
    return true;
  }
  watchForMap();
  window.setInterval(function () {
    if (state.map && state.tickets.size) { state.ticketsChanged = true; scheduleRender(); }
  }, URGENCY_REFRESH_MS);
})();
