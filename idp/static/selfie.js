// The selfie step's camera: shows the camera (mirrored, as a mirror would), captures
// data-frames JPEG pictures over data-seconds while the person follows the prompt, and
// posts them with the page's form as frame_1, frame_2, ... The pictures are the
// camera's own, not mirrored. Without a camera, or without this script, the page's
// upload form works alone.
(function () {
  "use strict";
  var box = document.getElementById("camera-capture");
  var media = navigator.mediaDevices;
  if (!box || !media || !media.getUserMedia || typeof DataTransfer === "undefined") { return; }
  var video = document.getElementById("selfie-video");
  var status = document.getElementById("selfie-status");
  var form = document.getElementById("camera-form");
  var start = document.getElementById("start-camera");
  var take = document.getElementById("take-selfie");
  var count = Number(box.dataset.frames);
  var interval = Number(box.dataset.seconds) * 1000 / count;
  var longest = 640;
  var stream = null;
  box.hidden = false;

  function say(text) { status.textContent = text; }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
  }

  function picture() {
    var scale = Math.min(1, longest / Math.max(video.videoWidth, video.videoHeight));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.9); });
  }

  function capture() {
    var pictures = [];
    return new Promise(function (resolve, reject) {
      function next() {
        picture().then(function (blob) {
          if (!blob) { reject(new Error("no picture")); return; }
          pictures.push(blob);
          say("Keep going… " + pictures.length + " of " + count);
          if (pictures.length === count) { resolve(pictures); } else { setTimeout(next, interval); }
        }, reject);
      }
      next();
    });
  }

  function attach(pictures) {
    pictures.forEach(function (blob, index) {
      var transfer = new DataTransfer();
      var name = "frame_" + (index + 1);
      transfer.items.add(new File([blob], name + ".jpg", {type: "image/jpeg"}));
      form.elements[name].files = transfer.files;
    });
  }

  start.addEventListener("click", function () {
    start.disabled = true;
    say("Turning on your camera…");
    media.getUserMedia({video: {facingMode: "user", width: {ideal: 1280}, height: {ideal: 720}}, audio: false})
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        document.getElementById("camera-view").hidden = false;
        return video.play();
      })
      .then(function () {
        document.getElementById("camera-off").hidden = true;
        document.getElementById("camera-on").hidden = false;
        take.focus();
        say("Your camera is on. Read the instruction above, then press start and follow it.");
      })
      .catch(function () {
        stop();
        start.disabled = false;
        say("We could not turn on your camera. Allow this page to use it and try again, or upload three photos below.");
      });
  });

  take.addEventListener("click", function () {
    take.disabled = true;
    capture()
      .then(function (pictures) {
        attach(pictures);
        stop();
        say("Checking your selfie…");
        form.submit();
      })
      .catch(function () {
        take.disabled = false;
        say("We could not take the pictures. Try again, or upload three photos below.");
      });
  });

  window.addEventListener("pagehide", stop);
}());
