/* Start plotly.js while Dash boots, on the pages that draw a graph, and use our smaller build of it.
 *
 * Why: dcc.Graph asks for plotly.js only once the page layout has arrived, so its download and its evaluation
 * (about 1 s on a wall PC without a GPU) would sit one after the other on the path to the wall's first paint.
 * dcc.Graph waits on `Promise.resolve(window.Plotly || <load it>)`, so a promise left in window.Plotly makes it
 * wait for this load instead of starting a second one; plotly.js replaces the promise with itself when it runs.
 * The build (frontend/plotly, `make plotly-bundle`) holds only the trace types layers/ draws: 3.1 MB, not 4.8 MB.
 */
(function () {
  "use strict";
  const BUNDLE = "assets/vendor/plotly-command-4.1.1.min.js";
  const PAGES_WITH_GRAPHS = ["", "wall", "analytics", "hotline", "report"];
  if (window.Plotly) return;
  const configTag = document.getElementById("_dash-config");
  if (!configTag) return;
  const prefix = JSON.parse(configTag.textContent).requests_pathname_prefix || "/";
  const path = window.location.pathname;
  const page = path.startsWith(prefix) ? path.slice(prefix.length).replace(/\/+$/, "") : null;
  if (!PAGES_WITH_GRAPHS.includes(page)) return;
  window.Plotly = new Promise(function (resolve, reject) {
    const script = document.createElement("script");
    script.src = prefix + BUNDLE;
    script.async = true;
    script.onload = function () { resolve(window.Plotly); };
    script.onerror = function () {
      window.Plotly = undefined;                     // let a later dcc.Graph try its own load
      reject(new Error("plotly.js did not load from " + script.src));
    };
    document.head.appendChild(script);
  });
})();
