/* The wall screen's clock, in the district's time zone (data-tz on the clock), whatever the PC is set to. */
(function () {
  "use strict";
  window.setInterval(function () {
    const el = document.getElementById("wall-clock");
    if (!el) return;
    el.textContent = new Date().toLocaleString("zh-CN", {timeZone: el.dataset.tz || "Asia/Shanghai",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hour12: false});
  }, 1000);
})();
