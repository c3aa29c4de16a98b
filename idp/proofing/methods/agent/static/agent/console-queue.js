// The agent console's queue: asks for it every few seconds, which also tells the provider
// that this agent is at their console (for the wait people are shown).
(function () {
  "use strict";
  var root = document.getElementById("agent-queue");
  if (!root || !window.fetch) { return; }
  var rows = document.getElementById("waiting-rows");
  var count = document.getElementById("waiting-count");
  var agents = document.getElementById("agents-online");

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function render(waiting) {
    rows.replaceChildren();
    if (!waiting.length) {
      var empty = document.createElement("tr");
      var td = cell("Nobody is waiting.");
      td.colSpan = 3;
      empty.appendChild(td);
      rows.appendChild(empty);
    }
    waiting.forEach(function (line) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(line.first_name));
      tr.appendChild(cell(line.waiting_minutes + " min"));
      tr.appendChild(cell(line.agency || "(none)"));
      rows.appendChild(tr);
    });
    count.textContent = String(waiting.length);
  }

  function poll() {
    fetch(root.dataset.url, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (found) {
      if (found) {
        render(found.waiting);
        agents.textContent = String(found.agents);
      }
      setTimeout(poll, 3000);
    }, function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
}());
