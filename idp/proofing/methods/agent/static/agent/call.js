// Live video between the person's and the agent's browsers (WebRTC), browser to browser.
//
// The provider only relays the messages that set the call up (session descriptions and
// ICE candidates), which each page fetches by asking every second (short polling), and
// hands to this script with call.receive(messages). Nothing of the call goes through the
// provider or is recorded.
//
// The agent's browser offers and the person's answers. The person's page says "hello"
// when it is ready: "fresh" when it has no connection (the page was loaded again), and
// the agent's browser makes a new one; otherwise (the connection dropped) the agent's
// browser restarts ICE on the one it has. Every connection has a random "peer" id, so
// messages of a connection that was replaced are ignored. The person's page repeats its
// hello until the call connects, so a lost message or a page loaded late never stalls it.
(function () {
  "use strict";

  var RECOVER_AFTER_MS = 3000;
  var HELLO_AGAIN_MS = 10000;

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function postJson(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (found) {
        if (!response.ok) { throw new Error(found.error || String(response.status)); }
        return found;
      });
    });
  }

  // options: role ("agent" or "person"), signals and ice (URLs), csrf, localVideo,
  // remoteVideo, onState(state, words).
  function Call(options) {
    this.options = options;
    this.role = options.role;
    this.pc = null;
    this.peer = null;
    this.stream = null;
    this.iceServers = [];
    this.pending = [];
    this.early = {};
    this.work = Promise.resolve();
    this.outbox = Promise.resolve();
    this.dropTimer = null;
    this.lastHello = 0;
    this.ended = false;
    this.connected = false;
  }

  Call.prototype.state = function (state, words) {
    if (this.options.onState) { this.options.onState(state, words); }
  };

  // Turn on the camera and microphone and fetch the ICE servers; the person's side then
  // says hello. Resolves with the hello's message id (0 for the agent).
  Call.prototype.start = function () {
    var self = this;
    self.state("starting", "Starting your camera…");
    return navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true})
      .then(function (stream) {
        self.stream = stream;
        self.options.localVideo.srcObject = stream;
        return fetch(self.options.ice, {credentials: "same-origin"});
      })
      .then(function (response) { return response.ok ? response.json() : {iceServers: []}; })
      .then(function (found) {
        self.iceServers = found.iceServers || [];
        if (self.role === "person") {
          self.state("waiting", "Connecting to the agent…");
          return self.hello(true);
        }
        self.state("waiting", "Waiting for the person's browser…");
        return 0;
      });
  };

  // Messages go one at a time, so that each side's messages are stored in the order
  // they were sent and a page that fetches "after the last one it saw" misses none.
  Call.prototype.send = function (kind, body) {
    var options = this.options;
    body.kind = kind;
    var sent = this.outbox.then(function () { return postJson(options.signals, options.csrf, body); });
    this.outbox = sent.catch(function () {});
    return sent;
  };

  Call.prototype.hello = function (fresh) {
    this.lastHello = Date.now();
    return this.send("hello", {peer: this.peer || "no-connection", fresh: fresh})
      .then(function (found) { return found.id; });
  };

  Call.prototype.newConnection = function (peer) {
    var self = this;
    if (self.pc) { self.pc.close(); }
    self.connected = false;
    // Candidates may arrive before their connection's offer: they waited in "early".
    self.pending = self.early[peer] || [];
    self.early = {};
    self.peer = peer;
    var pc = new RTCPeerConnection({iceServers: self.iceServers});
    self.pc = pc;
    self.stream.getTracks().forEach(function (track) { pc.addTrack(track, self.stream); });
    pc.ontrack = function (event) {
      if (self.options.remoteVideo.srcObject !== event.streams[0]) {
        self.options.remoteVideo.srcObject = event.streams[0];
      }
    };
    pc.onicecandidate = function (event) {
      if (event.candidate && pc === self.pc) {
        self.send("candidate", {peer: peer, candidate: event.candidate.toJSON()}).catch(function () {});
      }
    };
    pc.onconnectionstatechange = function () {
      if (pc !== self.pc) { return; }
      var now = pc.connectionState;
      clearTimeout(self.dropTimer);
      if (now === "connected") {
        self.connected = true;
        self.state("connected", "Connected");
      } else if (now === "disconnected" || now === "failed") {
        self.connected = false;
        self.state("reconnecting", "Reconnecting…");
        self.dropTimer = setTimeout(function () { self.recover(); }, now === "failed" ? 0 : RECOVER_AFTER_MS);
      }
    };
    return pc;
  };

  // The connection dropped: the person's side asks the agent's to restart ICE; the
  // agent's side restarts it itself.
  Call.prototype.recover = function () {
    if (this.ended || !this.pc || this.pc.connectionState === "connected") { return; }
    if (this.role === "person") {
      if (Date.now() - this.lastHello > RECOVER_AFTER_MS) { this.hello(false).catch(function () {}); }
    } else {
      this.restart();
    }
  };

  // The agent's side: an offer that restarts ICE on the connection, keeping its peer id.
  Call.prototype.restart = function () {
    var self = this;
    if (!self.pc || self.pc.signalingState !== "stable") { return self.offer(randomId()); }
    self.pc.restartIce();
    return self.pc.createOffer({iceRestart: true})
      .then(function (offer) { return self.pc.setLocalDescription(offer); })
      .then(function () { return self.send("offer", {peer: self.peer, sdp: self.pc.localDescription.sdp}); });
  };

  // The agent's side: a new connection, and its offer.
  Call.prototype.offer = function (peer) {
    var self = this;
    var pc = self.newConnection(peer);
    return pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      .then(function () { return self.send("offer", {peer: peer, sdp: pc.localDescription.sdp}); });
  };

  Call.prototype.addCandidate = function (body) {
    if (body.peer !== this.peer || !this.pc) {
      if (this.role === "person") { (this.early[body.peer] = this.early[body.peer] || []).push(body.candidate); }
      return Promise.resolve();
    }
    if (!this.pc.remoteDescription) { this.pending.push(body.candidate); return Promise.resolve(); }
    return this.pc.addIceCandidate(body.candidate).catch(function () {});
  };

  Call.prototype.flushCandidates = function () {
    var pc = this.pc;
    var waiting = this.pending;
    this.pending = [];
    return Promise.all(waiting.map(function (candidate) { return pc.addIceCandidate(candidate).catch(function () {}); }));
  };

  Call.prototype.onMessage = function (message) {
    var self = this;
    var body = message.body;
    if (message.kind === "candidate") { return self.addCandidate(body); }
    if (message.kind === "bye") {
      self.state("ended", self.role === "agent" ? "The person left the call." : "The agent left the call.");
      return Promise.resolve();
    }
    if (self.role === "agent" && message.kind === "hello") {
      return body.fresh || !self.pc || body.peer !== self.peer ? self.offer(randomId()) : self.restart();
    }
    if (self.role === "agent" && message.kind === "answer") {
      if (body.peer !== self.peer || self.pc.signalingState !== "have-local-offer") { return Promise.resolve(); }
      return self.pc.setRemoteDescription({type: "answer", sdp: body.sdp})
        .then(function () { return self.flushCandidates(); })
        .then(function () { self.settled(); });
    }
    if (self.role === "person" && message.kind === "offer") {
      var pc = body.peer === self.peer && self.pc ? self.pc : self.newConnection(body.peer);
      return pc.setRemoteDescription({type: "offer", sdp: body.sdp})
        .then(function () { return self.flushCandidates(); })
        .then(function () { return pc.createAnswer(); })
        .then(function (answer) { return pc.setLocalDescription(answer); })
        .then(function () { return self.send("answer", {peer: body.peer, sdp: pc.localDescription.sdp}); })
        .then(function () { self.settled(); });
    }
    return Promise.resolve();
  };

  // A negotiation ended: an ICE restart on a connection that stayed up changes no
  // connection state, so say where it stands.
  Call.prototype.settled = function () {
    if (this.pc && this.pc.connectionState === "connected") {
      this.connected = true;
      this.state("connected", "Connected");
    }
  };

  // Messages from the other side, oldest first. Of a batch, only the last hello (for the
  // agent) or offer (for the person) counts: the ones before it are of replaced
  // connections.
  Call.prototype.receive = function (messages) {
    var self = this;
    var starter = self.role === "agent" ? "hello" : "offer";
    var last = -1;
    messages.forEach(function (message, index) { if (message.kind === starter) { last = index; } });
    messages.forEach(function (message, index) {
      if (message.kind === starter && index !== last) { return; }
      self.work = self.work.then(function () { return self.onMessage(message); }).catch(function () {});
    });
    // The person's side keeps saying hello until the call connects.
    if (self.role === "person" && !self.connected && !self.ended && Date.now() - self.lastHello > HELLO_AGAIN_MS) {
      var fresh = !self.pc || self.pc.connectionState === "failed" || self.pc.connectionState === "closed";
      self.hello(fresh).catch(function () {});
    }
    return self.work;
  };

  // A "Reconnect" button: the person asks for an ICE restart, the agent does one.
  Call.prototype.reconnect = function () {
    this.state("reconnecting", "Reconnecting…");
    if (this.role === "person") { return this.hello(!this.pc); }
    return this.pc ? this.restart() : Promise.resolve();
  };

  Call.prototype.hangUp = function (words) {
    this.ended = true;
    clearTimeout(this.dropTimer);
    if (this.pc) { this.pc.close(); }
    this.pc = null;
    if (this.stream) { this.stream.getTracks().forEach(function (track) { track.stop(); }); }
    this.stream = null;
    this.state("ended", words || "The call has ended.");
  };

  window.AgentVideoCall = Call;
}());
