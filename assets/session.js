// A page whose session ended (idle timeout, sign-out elsewhere, password change) gets 401 from its callbacks:
// go to the sign-in page, and come back here afterwards.
(function () {
  if (!window.fetch) { return; }
  const originalFetch = window.fetch;
  let leaving = false;
  window.fetch = function (resource, init) {
    return originalFetch.apply(this, arguments).then(function (response) {
      const url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (response.status === 401 && !leaving && url.indexOf("_dash-update-component") !== -1) {
        leaving = true;
        const here = window.location.pathname + window.location.search;
        window.location.assign("/login?expired=1&next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
