/* Deadline countdowns in panels and lists: every element with class "countdown" and data-due (ISO 8601) shows
 * the time left, or how late it is in red. One timer for the page; no server round trip per tick. */
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function format(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + "天" : "") + pad(h) + ":" + pad(m) + ":" + pad(s % 60);
  }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll(".countdown[data-due]")) {
      const left = Date.parse(el.dataset.due) - now;
      const label = el.dataset.label || "";
      el.textContent = (left >= 0 ? label + "剩 " : label + "超时 ") + format(left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
    }
  }
  window.setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();
