/* The grid worker's phone (/m). Small on purpose: the page works without it but for the location.
   - the report form: the phone's location (navigator.geolocation, WGS-84) into the form;
   - photos: a large camera photo is shrunk to 1600 px before upload (a slow link carries ~300 KB, not 5 MB);
   - while a task is open: the position to POST /m/position every 20 s at most;
   - the tasks page: a check for changed tasks every 30 s (a few bytes). */
(function () {
  "use strict";
  var body = document.body, csrf = body.getAttribute("data-csrf");
  var MAX_SIDE = 1600, SHRINK_ABOVE = 600 * 1024, POSITION_EVERY_MS = 20000, CHECK_EVERY_MS = 30000;

  function $(id) { return document.getElementById(id); }

  // ------------------------------------------------------------------ location into the report form
  function locate() {
    var status = $("m-loc-status");
    if (!status || !navigator.geolocation) return;
    status.textContent = "正在定位…"; status.className = "m-loc-status";
    navigator.geolocation.getCurrentPosition(function (p) {
      $("m-lon").value = p.coords.longitude.toFixed(7);
      $("m-lat").value = p.coords.latitude.toFixed(7);
      $("m-datum").value = "wgs84";
      status.textContent = "已定位（±" + Math.round(p.coords.accuracy || 0) + " 米）";
      status.className = "m-loc-status ok";
    }, function () {
      status.textContent = "无法定位：将以本网格中心上报";
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }

  // ------------------------------------------------------------------ photos shrunk before upload
  function shrink(file) {
    return new Promise(function (resolve) {
      if (!file || file.size < SHRINK_ABOVE || !window.createImageBitmap) return resolve(file);
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size
            ? new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", {type: "image/jpeg"}) : file);
        }, "image/jpeg", 0.85);
      }, function () { resolve(file); });
    });
  }

  function sendSmall(form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var button = form.querySelector("button[type=submit]");
      if (form.getAttribute("data-ready") === "1" || !input || !input.files.length || !window.DataTransfer) {
        if (button) { button.disabled = true; button.textContent = "正在提交…"; }
        return;
      }
      event.preventDefault();
      if (button) { button.disabled = true; button.textContent = "正在压缩照片…"; }
      shrink(input.files[0]).then(function (file) {
        if (file !== input.files[0]) {
          var list = new DataTransfer(); list.items.add(file); input.files = list.files;
        }
        form.setAttribute("data-ready", "1");
        if (button) button.textContent = "正在提交…";
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  // ------------------------------------------------------------------ position while on a task
  function followPosition() {
    if (body.getAttribute("data-on-task") !== "1" || !navigator.geolocation) return;
    var status = $("m-position-status"), last = 0;
    navigator.geolocation.watchPosition(function (p) {
      var now = Date.now();
      if (now - last < POSITION_EVERY_MS) return;
      last = now;
      var speed = p.coords.speed == null ? null : p.coords.speed * 3.6;
      fetch("/m/position", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({lon: p.coords.longitude, lat: p.coords.latitude, datum: "wgs84", speed_kmh: speed})
      }).then(function (r) {
        status.hidden = false;
        status.textContent = r.status === 202 ? "任务进行中：位置已上报 " + new Date().toTimeString().slice(0, 5)
          : r.status === 409 ? "当前没有进行中的任务，不上报位置" : "位置上报失败（" + r.status + "）";
        if (r.status === 409) body.setAttribute("data-on-task", "0");
      }, function () { status.hidden = false; status.textContent = "网络不通，位置稍后再报"; });
    }, function () {}, {enableHighAccuracy: true, maximumAge: 10000, timeout: 30000});
  }

  // ------------------------------------------------------------------ changed tasks
  function watchTasks() {
    var list = $("m-tasks");
    if (!list) return;
    var seen = list.getAttribute("data-version");
    setInterval(function () {
      if (document.hidden) return;
      fetch("/m/tasks/version", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (v) { if (v && v.version !== seen) $("m-new-tasks").hidden = false; }, function () {});
    }, CHECK_EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = $("m-locate");
    if (button) {
      button.addEventListener("click", locate);
      if (!$("m-lon").value) locate();
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[enctype='multipart/form-data']"), sendSmall);
    Array.prototype.forEach.call(document.querySelectorAll(".m-file"), function (input) {
      input.addEventListener("change", function () {
        var label = input.parentNode, text = label.querySelector(".m-camera-text");
        label.className = input.files.length ? "m-camera has-photo" : "m-camera";
        if (input.files.length) text.textContent = "已拍摄 1 张（点此重拍）";
      });
    });
    followPosition();
    watchTasks();
  });
})();
