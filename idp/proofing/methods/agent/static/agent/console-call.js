// The agent's call page: the person's video, and the signalling messages fetched every
// second (one short request each time). When the call is no longer the agent's (decided
// elsewhere, gone back to the queue, ended), the video stops and the page says so; the
// decision form stays, until the time to record it is over.
(function () {
  "use strict";
  var root = document.getElementById("agent-call");
  if (!root || !window.fetch || !window.RTCPeerConnection || !window.AgentVideoCall) { return; }
  var data = root.dataset;
  var callState = document.getElementById("call-state");
  var timeLeft = document.getElementById("time-left");
  var after = 0;

  function onState(state, words) {
    callState.textContent = words;
    callState.dataset.state = state;
  }

  var call = new window.AgentVideoCall({
    role: "agent", signals: data.signals, ice: data.ice, csrf: data.csrf,
    localVideo: document.getElementById("local-video"),
    remoteVideo: document.getElementById("remote-video"), onState: onState
  });

  function showTime(seconds) {
    var minutes = Math.ceil(seconds / 60);
    timeLeft.textContent = seconds > 0
      ? "Time left: about " + minutes + (minutes === 1 ? " minute" : " minutes")
      : "Time is up: the video has stopped. Record your decision now.";
  }

  function poll() {
    fetch(data.poll + "?after=" + after, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (response.status === 404) { return {status: "ended"}; }
      return response.ok ? response.json() : {status: "retry"};
    }).then(function (found) {
      document.dispatchEvent(new Event("idp:active"));
      if (found.status === "ended") {
        call.hangUp("This call is no longer yours: it ended, or went back to the queue.");
        return;
      }
      if (found.status === "retry") { setTimeout(poll, 3000); return; }
      showTime(found.seconds_left);
      if (found.seconds_left <= 0) { call.hangUp("Time is up. Record your decision."); return; }
      if (found.signals.length) { after = found.signals[found.signals.length - 1].id; }
      call.receive(found.signals);
      setTimeout(poll, 1000);
    }, function () { setTimeout(poll, 3000); });
  }

  document.getElementById("reconnect").addEventListener("click", function () { call.reconnect().catch(function () {}); });
  showTime(Number(timeLeft.dataset.seconds));
  call.start().then(poll, function () {
    onState("failed", "We could not start your camera and microphone. Allow them for this site, then reload this page.");
  });
}());
