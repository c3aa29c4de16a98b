// Password strength meter: zxcvbn's estimate while the person types. The server
// applies the real policy; this only helps choose before submitting.
(function () {
  "use strict";
  var input = document.getElementById("password");
  var panel = document.getElementById("password-strength");
  if (!input || !panel) { return; }
  var meter = document.getElementById("password-meter");
  var label = document.getElementById("password-strength-label");
  var feedback = document.getElementById("password-strength-feedback");
  var toggle = document.getElementById("show-password");
  var names = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];
  var hints = (input.getAttribute("data-strength-hints") || "").toLowerCase()
    .split(/[@._+-]/).filter(function (word) { return word.length >= 3; })
    .concat(["government", "sign-in", "login", "password"]);

  function update() {
    var value = input.value;
    if (!value || typeof window.zxcvbn !== "function") { panel.hidden = true; return; }
    panel.hidden = false;
    if (value.length < 12) {
      meter.value = 0;
      label.textContent = "Too short";
      feedback.textContent = "Use at least 12 characters.";
      return;
    }
    var result = window.zxcvbn(value.slice(0, 128), hints);
    meter.value = result.score;
    label.textContent = names[result.score];
    var advice = [result.feedback.warning].concat(result.feedback.suggestions || []);
    feedback.textContent = advice.filter(Boolean).map(function (sentence) {
      return /[.!?]$/.test(sentence) ? sentence : sentence + ".";
    }).join(" ");
  }

  input.addEventListener("input", update);
  if (toggle) {
    toggle.addEventListener("change", function () {
      input.type = toggle.checked ? "text" : "password";
    });
  }
})();
