// Shows how many agents are at work and the wait for someone joining the line now.
(function () {
  "use strict";
  var box = document.getElementById("agent-estimate");
  if (!box || !window.fetch) { return; }
  fetch(box.dataset.url, {credentials: "same-origin"}).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (found) {
    if (!found) { return; }
    if (found.wait_minutes === null) {
      box.textContent = "No agent is available right now. You can join the line and wait, or book a time.";
    } else {
      box.textContent = "Right now: " + found.agents + (found.agents === 1 ? " agent is" : " agents are") +
        " working, and the wait is about " + found.wait_minutes + (found.wait_minutes === 1 ? " minute." : " minutes.");
    }
  }, function () { /* keep the page's own words */ });
}());
