// Passkeys: adding one on the account page and signing in with one on the login page, through
// the JSON API (the session cookie, and Content-Type: application/json, which the API asks of
// every cookie-authenticated write instead of a CSRF token). Without JavaScript or without
// WebAuthn in the browser the pages say so and offer everything else.
//
// The server speaks WebAuthn's JSON form (binary values as unpadded base64url); the browser's
// API wants ArrayBuffers. `window.clubroomPasskeys` converts both ways for any page that needs
// a passkey: `create(options)` and `get(options)` answer the JSON to send back.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBuffer(base64url) {
    var base64 = String(base64url).replace(/-/g, "+").replace(/_/g, "/");
    var text = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) {
      bytes[i] = text.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += String.fromCharCode(bytes[i]);
    }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBuffers(descriptors) {
    return (descriptors || []).map(function (d) {
      return Object.assign({}, d, { id: toBuffer(d.id) });
    });
  }

  // Client extension results are not signed and the server needs none of them but these.
  function extensions(credential) {
    var all = credential.getClientExtensionResults ? credential.getClientExtensionResults() : {};
    var kept = {};
    if (typeof all.appid === "boolean") { kept.appid = all.appid; }
    if (all.credProps && typeof all.credProps.rk === "boolean") { kept.credProps = { rk: all.credProps.rk }; }
    return kept;
  }

  function create(options) {
    var o = Object.assign({}, options.publicKey);
    o.challenge = toBuffer(o.challenge);
    o.user = Object.assign({}, o.user, { id: toBuffer(o.user.id) });
    o.excludeCredentials = withBuffers(o.excludeCredentials);
    return navigator.credentials.create({ publicKey: o }).then(function (credential) {
      var response = credential.response;
      return {
        id: credential.id,
        rawId: toBase64url(credential.rawId),
        type: credential.type,
        response: {
          attestationObject: toBase64url(response.attestationObject),
          clientDataJSON: toBase64url(response.clientDataJSON),
          transports: response.getTransports ? response.getTransports() : undefined,
        },
        extensions: extensions(credential),
      };
    });
  }

  function get(options) {
    var o = Object.assign({}, options.publicKey);
    o.challenge = toBuffer(o.challenge);
    if (o.allowCredentials) {
      o.allowCredentials = withBuffers(o.allowCredentials);
    }
    return navigator.credentials.get({ publicKey: o }).then(function (credential) {
      var response = credential.response;
      return {
        id: credential.id,
        rawId: toBase64url(credential.rawId),
        type: credential.type,
        response: {
          authenticatorData: toBase64url(response.authenticatorData),
          clientDataJSON: toBase64url(response.clientDataJSON),
          signature: toBase64url(response.signature),
          userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
        },
        extensions: extensions(credential),
      };
    });
  }

  window.clubroomPasskeys = { create: create, get: get };

  // A POST to the JSON API: its answer, or an Error with the server's message.
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var error = data && data.error ? data.error : {};
          var fields = error.fields || {};
          var first = Object.keys(fields)[0];
          var err = new Error((first && fields[first]) || error.message || "Something went wrong. Please try again.");
          err.field = first;
          throw err;
        }
        return data;
      });
    });
  }

  // What to tell a person whose browser or server said no.
  function explain(err) {
    if (err && err.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out. Try again when you are ready.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This device already holds a passkey for your account here.";
    }
    if (err && err.name && err.name !== "Error") {
      return "Your browser could not use a passkey here (" + err.name + ").";
    }
    return (err && err.message) || "Something went wrong. Please try again.";
  }

  function say(status, text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", Boolean(isError));
  }

  // The account page: name the passkey, then create it on this device and store it.
  var ADDED = "clubroom-passkey-added";
  document.querySelectorAll("[data-passkey-register]").forEach(function (form) {
    var field = form.querySelector("input[name=name]");
    var button = form.querySelector("button");
    var status = form.querySelector(".passkey-status");
    form.hidden = false;
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
      note.hidden = true;
    });
    try {
      var added = window.sessionStorage.getItem(ADDED);
      if (added) {
        window.sessionStorage.removeItem(ADDED);
        say(status, "Your passkey “" + added + "” has been added.", false);
      }
    } catch (e) { /* storage refused: no message, the list shows the passkey */ }

    function invalid(message) {
      field.setAttribute("aria-invalid", "true");
      say(status, message, true);
      field.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = field.value.trim();
      field.removeAttribute("aria-invalid");
      if (!name) {
        invalid("Give the passkey a name first, such as “Phone”.");
        return;
      }
      button.disabled = true;
      say(status, "Follow your browser's steps to create the passkey…", false);
      post("/api/v1/auth/passkeys/registration")
        .then(function (started) {
          return create(started.options).then(function (credential) {
            return post("/api/v1/auth/passkeys", { ceremony: started.ceremony, name: name, credential: credential });
          });
        })
        .then(function (passkey) {
          try { window.sessionStorage.setItem(ADDED, passkey.name); } catch (e) { /* see above */ }
          window.location.assign("/account");
        })
        .catch(function (err) {
          button.disabled = false;
          if (err && err.field === "name") {
            invalid(err.message);
          } else {
            say(status, explain(err), true);
          }
        });
    });
  });

  // The second step of a sign-in: the passkey answers the challenge through the page's own
  // form, so the server's answer (a session, or the form again with the reason) is a page.
  document.querySelectorAll("[data-passkey-second-step]").forEach(function (form) {
    var button = form.querySelector("button");
    var status = form.querySelector(".passkey-status");
    var challenge = form.querySelector("input[name=challenge]").value;
    var field = form.querySelector("input[name=credential]");
    form.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(status, "Follow your browser's steps to use your passkey…", false);
      post("/api/v1/auth/login/passkey", { challenge: challenge })
        .then(get)
        .then(function (credential) {
          field.value = JSON.stringify(credential);
          form.submit();
        })
        .catch(function (err) {
          button.disabled = false;
          say(status, explain(err), true);
        });
    });
  });

  // The login page: sign in with a passkey alone, then go on to where the person was going.
  document.querySelectorAll("[data-passkey-login]").forEach(function (box) {
    var button = box.querySelector("button");
    var status = box.querySelector(".passkey-status");
    var next = box.getAttribute("data-next") || "";
    // Only a path on this site (the server checked it too).
    if (!/^\/(?![\/\\])/.test(next)) {
      next = "/home";
    }
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(status, "Follow your browser's steps to use your passkey…", false);
      post("/api/v1/auth/passkey-login/start")
        .then(function (started) {
          return get(started.options).then(function (credential) {
            return post("/api/v1/auth/passkey-login", { ceremony: started.ceremony, credential: credential });
          });
        })
        .then(function () {
          window.location.assign(next);
        })
        .catch(function (err) {
          button.disabled = false;
          say(status, explain(err), true);
        });
    });
  });
})();
