// The join page's camera and microphone check: a preview of the camera (mirrored, as a
// mirror would be) and a sound level meter. Joining the line is possible once both work.
// Nothing is recorded or sent anywhere; the check stops the camera when the page goes.
(function () {
  "use strict";
  var box = document.getElementById("camera-check");
  var media = navigator.mediaDevices;
  if (!box || !media || !media.getUserMedia) { return; }
  var start = document.getElementById("start-check");
  var preview = document.getElementById("preview");
  var previewBox = document.getElementById("preview-box");
  var level = document.getElementById("sound-level");
  var status = document.getElementById("check-status");
  var join = document.getElementById("join-button");
  var hint = document.getElementById("join-hint");
  var heard = false;
  var stream = null;
  box.hidden = false;

  function say(text) { status.textContent = text; }

  function ready() {
    join.disabled = false;
    hint.textContent = "Your camera and microphone work.";
  }

  function listen(source) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { heard = true; ready(); return; }
    var audio = new Context();
    var analyser = audio.createAnalyser();
    analyser.fftSize = 256;
    audio.createMediaStreamSource(source).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    function measure() {
      analyser.getByteTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i += 1) { peak = Math.max(peak, Math.abs(samples[i] - 128)); }
      level.style.width = Math.min(100, Math.round(peak / 1.28)) + "%";
      if (peak > 4 && !heard) {
        heard = true;
        say("Your camera and microphone work. You can join the line.");
        ready();
      }
      if (stream) { window.requestAnimationFrame(measure); }
    }
    measure();
  }

  start.addEventListener("click", function () {
    say("Asking your browser for the camera and microphone…");
    media.getUserMedia({video: true, audio: true}).then(function (found) {
      stream = found;
      preview.srcObject = found;
      previewBox.hidden = false;
      // USWDS buttons are displayed whatever their hidden attribute says.
      start.style.display = "none";
      say("Can you see yourself? Say something: the bar should move.");
      listen(found);
    }, function (error) {
      var blocked = error && error.name === "NotAllowedError";
      say(blocked
        ? "Your browser did not allow the camera or microphone. Allow them for this site in your browser's settings, then try again."
        : "We could not find a camera and microphone that work. Connect them, or try another device.");
    });
  });

  window.addEventListener("pagehide", function () {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
  });
}());
