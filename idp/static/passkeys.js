// Security keys and face or touch unlock: asks the browser for a WebAuthn credential
// (navigator.credentials.create or .get) with the options the page carries, posts the
// answer back as JSON, and follows the redirect it gets, or shows what went wrong.
(function () {
  "use strict";
  var form = document.getElementById("passkey-form");
  if (!form) { return; }
  var button = document.getElementById("passkey-start");
  var errorBox = document.getElementById("passkey-error");
  var errorText = document.getElementById("passkey-error-text");
  var ceremony = form.dataset.ceremony;
  var options = JSON.parse(document.getElementById("passkey-options").textContent);

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "====".slice((base64.length + 3) % 4 + 1);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return {type: item.type, id: toBytes(item.id), transports: item.transports};
    });
  }

  function publicKeyOptions(data) {
    var copy = Object.assign({}, data, {challenge: toBytes(data.challenge)});
    if (ceremony === "create") {
      copy.user = Object.assign({}, data.user, {id: toBytes(data.user.id)});
      copy.excludeCredentials = descriptors(data.excludeCredentials);
    } else {
      copy.allowCredentials = descriptors(data.allowCredentials);
    }
    return copy;
  }

  function serialise(credential) {
    var response = credential.response;
    var data = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {clientDataJSON: toText(response.clientDataJSON)}
    };
    if (ceremony === "create") {
      data.response.attestationObject = toText(response.attestationObject);
      data.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      data.response.authenticatorData = toText(response.authenticatorData);
      data.response.signature = toText(response.signature);
      if (response.userHandle) { data.response.userHandle = toText(response.userHandle); }
    }
    return data;
  }

  function showError(message) {
    errorText.textContent = message;
    errorBox.hidden = false;
    errorBox.focus();
    button.disabled = false;
  }

  function browserError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError") {
      return "The request was cancelled or timed out. When you're ready, try again.";
    }
    if (name === "InvalidStateError") {
      return ceremony === "create"
        ? "That security key or device is already set up for your account. Use a different one."
        : "That security key or device can't be used. Try another one.";
    }
    if (name === "NotSupportedError") {
      return "This browser or device doesn't support this kind of sign-in. Choose another way.";
    }
    if (name === "SecurityError") {
      return "Your browser refused to use a security key on this site.";
    }
    if (name === "AbortError") {
      return "The request was stopped. Try again.";
    }
    return "Your browser couldn't complete the request. Try again, or choose another way.";
  }

  function body(credential) {
    var data = {credential: serialise(credential)};
    var remember = document.getElementById("remember");
    if (remember) { data.remember = remember.checked; }
    var name = document.getElementById("name");
    if (name) { data.name = name.value; }
    return JSON.stringify(data);
  }

  function post(credential) {
    return fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
      body: body(credential)
    }).then(function (response) {
      return response.json().catch(function () {
        return {error: "This page expired. Reload it and try again."};
      });
    }).then(function (answer) {
      if (answer.options) { options = answer.options; }
      if (answer.redirect && !answer.error) {
        window.location.assign(answer.redirect);
        return;
      }
      showError(answer.error || "Something went wrong. Try again.");
      if (answer.redirect) {
        setTimeout(function () { window.location.assign(answer.redirect); }, 2500);
      }
    }, function () {
      showError("We couldn't reach the server. Check your connection and try again.");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError("This browser doesn't support security keys or face or touch unlock. " +
                "Choose another way, or try a different browser.");
      return;
    }
    button.disabled = true;
    var request = {publicKey: publicKeyOptions(options)};
    var asked = ceremony === "create"
      ? navigator.credentials.create(request)
      : navigator.credentials.get(request);
    asked.then(function (credential) {
      if (!credential) { throw new Error("no credential"); }
      return post(credential);
    }, function (error) {
      showError(browserError(error));
    }).catch(function () {
      showError("Something went wrong. Try again.");
    });
  });
}());
