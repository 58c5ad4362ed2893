/* /work (screens/work.py): 办结回复 goes from the browser as multipart/form-data to POST /work/tickets/<n>/reply
 * (api/work.py). The photos the person picked with dcc.Upload are data: URLs in the page; they are turned back into
 * files here, because a Dash callback's JSON body is capped far below a few phone photos. The answer (ok, message)
 * becomes the "work-sent" store and a server callback shows it. */
(function () {
  "use strict";

  function csrfToken() {
    const found = document.cookie.split("; ").find(function (c) { return c.indexOf("_csrf_token=") === 0; });
    return found ? decodeURIComponent(found.slice("_csrf_token=".length)) : "";
  }

  // data:<type>;base64,<payload> → Blob (fetch() of a data: URL would need connect-src data: in the CSP).
  function toBlob(dataUrl) {
    const comma = dataUrl.indexOf(",");
    const type = (dataUrl.slice(5, comma).split(";")[0]) || "application/octet-stream";
    const bytes = window.atob(dataUrl.slice(comma + 1));
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
    return new Blob([out], {type: type});
  }

  async function sendReply(clicks, number, reply, contents, names) {
    if (!clicks || !number) return window.dash_clientside.no_update;
    const form = new FormData();
    form.append("reply", reply || "");
    (contents || []).forEach(function (content, i) {
      form.append("photo", toBlob(content), (names && names[i]) || ("photo-" + (i + 1)));
    });
    let status = 0, body = {};
    try {
      const response = await fetch("/work/tickets/" + encodeURIComponent(number) + "/reply", {
        method: "POST", body: form, credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()}});
      status = response.status;
      try { body = await response.json(); } catch (error) { body = {}; }
    } catch (error) {
      return {ok: false, message: "网络中断，办结回复未提交，请重试", at: Date.now()};
    }
    const ok = status >= 200 && status < 300;
    const message = body.message || (body.error && body.error.message) ||
      (status === 413 ? "照片总大小超过上限，请减少张数后重试" : "提交失败（" + status + "），请重试");
    return {ok: ok, status: status, message: message, at: Date.now()};
  }

  function fileNames(names) {
    if (!names || !names.length) return "";
    return "已选择 " + names.length + " 张：" + names.join("、");
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    work: {send_reply: sendReply, file_names: fileNames},
  });
})();
