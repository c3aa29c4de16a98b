// Warns before the idle timeout and keeps the session alive if the person asks to.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box) { return; }
  var idle = Number(box.dataset.idleSeconds) * 1000;
  var warn = Number(box.dataset.warnSeconds) * 1000;
  var warnTimer, endTimer;
  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = setTimeout(function () { box.hidden = false; }, Math.max(0, idle - warn));
    endTimer = setTimeout(function () { window.location = box.dataset.timeoutUrl; }, idle);
  }
  document.getElementById("stay-signed-in").addEventListener("click", function () {
    fetch(box.dataset.keepalive, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": box.dataset.csrf}
    }).then(function (response) {
      if (response.ok) { schedule(); } else { window.location = box.dataset.timeoutUrl; }
    });
  });
  // A page that is in use without clicks (a video call, a waiting line that keeps asking
  // for news) says so with this event, and the session stays open.
  document.addEventListener("idp:active", schedule);
  schedule();
}());
