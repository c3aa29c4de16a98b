// The person's waiting room and call. Asks the provider for news every couple of seconds
// while waiting and every second during the call (one short request each time): the
// place in line and the wait, then the agent's signalling messages. Goes to the outcome
// page when the agent has decided, and back to the step page when the call ended
// otherwise (left, booked, timed out).
(function () {
  "use strict";
  var root = document.getElementById("agent-call");
  if (!root || !window.fetch || !window.RTCPeerConnection || !window.AgentVideoCall) { return; }
  var data = root.dataset;
  var waitingPoll = Math.max(1, Number(data.pollSeconds) || 2) * 1000;
  var sections = {
    waiting: document.getElementById("waiting-room"),
    handoff: document.getElementById("handed-over"),
    in_call: document.getElementById("call-room")
  };
  var place = document.getElementById("queue-place");
  var wait = document.getElementById("queue-wait");
  var callState = document.getElementById("call-state");
  var timeLeft = document.getElementById("time-left");
  var call = null;
  var after = 0;
  var starting = null;
  var shown = null;

  function show(status) {
    if (status === shown) { return; }
    shown = status;
    Object.keys(sections).forEach(function (key) { sections[key].hidden = key !== status; });
  }

  function onState(state, words) {
    callState.textContent = words;
    callState.dataset.state = state;
  }

  function endCall(words) {
    if (call) { call.hangUp(words); }
    call = null;
    starting = null;
    after = 0;
  }

  function waiting(found) {
    show("waiting");
    place.textContent = found.place === 1 ? "You are next" : "You are number " + found.place + " in line";
    if (found.wait_minutes === null) {
      wait.textContent = "No agent is available right now. You can keep waiting, or book a time below.";
    } else {
      wait.textContent = "Estimated wait: about " + found.wait_minutes + (found.wait_minutes === 1 ? " minute" : " minutes") +
        " (" + found.agents + (found.agents === 1 ? " agent" : " agents") + " working)";
    }
  }

  function inCall(found) {
    show("in_call");
    var minutes = Math.ceil(found.seconds_left / 60);
    timeLeft.textContent = found.seconds_left > 0 ? "Time left for this call: about " + minutes + (minutes === 1 ? " minute." : " minutes.") : "";
    if (found.seconds_left <= 0) {
      if (call) { endCall("The call reached its time limit. The agent is recording the decision; please wait."); }
      return;
    }
    if (!starting) {
      call = new window.AgentVideoCall({
        role: "person", signals: data.signals, ice: data.ice, csrf: data.csrf,
        localVideo: document.getElementById("local-video"),
        remoteVideo: document.getElementById("remote-video"), onState: onState
      });
      // Only the agent's messages after this page's hello matter: earlier ones belong
      // to connections this page never had.
      starting = call.start().then(function (helloId) { after = Math.max(after, helloId); }, function () {
        onState("failed", "We could not start your camera and microphone. Allow them for this site, then reload this page.");
      });
      return;
    }
    starting.then(function () {
      if (!call) { return; }
      var fresh = (found.signals || []).filter(function (message) { return message.id > after; });
      if (fresh.length) { after = fresh[fresh.length - 1].id; }
      call.receive(fresh);
    });
  }

  function handle(found) {
    document.dispatchEvent(new Event("idp:active"));
    if (found.status === "waiting") { if (call) { endCall(); } waiting(found); return waitingPoll; }
    if (found.status === "handoff") { if (call) { endCall(); } show("handoff"); return waitingPoll; }
    if (found.status === "in_call") { inCall(found); return 1000; }
    if (found.status === "ended" && found.outcome) {
      endCall();
      window.location.assign(data.outcome);
      return null;
    }
    endCall();
    window.location.assign(data.step);
    return null;
  }

  function poll() {
    var url = data.poll + "?after=" + (starting ? after : 0);
    fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (response.status === 401) { window.location.assign(data.step); return null; }
      return response.ok ? response.json() : {status: "retry"};
    }).then(function (found) {
      if (!found) { return; }
      var next = found.status === "retry" ? 3000 : handle(found);
      if (next) { setTimeout(poll, next); }
    }, function () {
      // The network is away for a moment: keep the place, and ask again.
      setTimeout(poll, 3000);
    });
  }

  document.getElementById("reconnect").addEventListener("click", function () {
    if (call) { call.reconnect().catch(function () {}); }
  });
  poll();
}());
