/* Deadline countdowns in panels and lists: every element with class "countdown" and data-due (ISO 8601) shows
 * the time left, or how late it is in red. One timer for the page; no server round trip per tick. */
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function format(ms, minutes) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + "天" : "") + pad(h) + ":" + pad(m) + (minutes ? "" : ":" + pad(s % 60));
  }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll(".countdown[data-due]")) {
      const left = Date.parse(el.dataset.due) - now;
      const label = el.dataset.label || "";
      // To the minute (the wall) also reads short: 办结超 / 到场剩, so a column of them fits from five metres.
      const brief = el.dataset.precision === "minute";
      const text = label + (left >= 0 ? "剩 " : brief ? "超 " : "超时 ") + format(left, brief);
      if (el.textContent !== text) el.textContent = text;     // a calm wall: touch the text only when it changes
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
    }
  }
  window.setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();
