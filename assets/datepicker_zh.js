/* dcc.DatePickerRange / DatePickerSingle draw date-fns' English weekday names (Mo Tu …) and take no locale: write
 * the Chinese ones (一 … 日) into a calendar's column headers whenever one opens or turns a month. React leaves the
 * new text alone: its own copy of the header ("Mo") never changes, so it never rewrites the node. */
(function () {
  "use strict";
  const WEEKDAYS = {Mo: "一", Tu: "二", We: "三", Th: "四", Fr: "五", Sa: "六", Su: "日"};
  const CALENDAR_HEADERS = "[class*='dash-datepicker-calendar'] th";

  function translate() {
    document.querySelectorAll(CALENDAR_HEADERS).forEach(function (th) {
      const zh = WEEKDAYS[th.textContent.trim()];
      if (zh) th.textContent = zh;
    });
  }

  new MutationObserver(function (records) {
    // Cheap for pages without a calendar (the wall's ticker changes every few seconds): one lookup, then out.
    if (!document.querySelector("[class*='dash-datepicker-calendar']")) return;
    if (records.some(r => r.addedNodes.length)) translate();
  }).observe(document.body, {childList: true, subtree: true});
})();
