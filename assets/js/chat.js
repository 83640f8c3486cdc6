// Live updates for the chat room: new messages appear as they are sent and the post form sends
// without leaving the page. The room works without this file (plain form posts and reloads).
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log || log.getAttribute("data-live") !== "true") { return; }
  var conversationId = Number(log.getAttribute("data-conversation-id"));
  var viewerId = Number(log.getAttribute("data-viewer-id"));
  var lastSeenId = Number(log.getAttribute("data-last-id")) || 0;
  var form = document.getElementById("chat-form");
  var api = "/api/v1/conversations/" + conversationId;
  var delay = 1000;
  var unreadId = 0;

  // The same "21 Nov, 20:12" the server writes, in the viewer's zone from their profile.
  var timeFormat = (function () {
    var options = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: log.getAttribute("data-time-zone") || "UTC" }, options));
    } catch (err) {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: "UTC" }, options));
    }
  })();

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return iso; }
    return timeFormat.format(d);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Adds a message of this room unless it is already shown; true when added.
  function append(message) {
    if (message.conversation_id !== conversationId) { return false; }
    if (document.getElementById("message-" + message.id)) { return false; }
    var mine = message.author && message.author.id === viewerId;
    var item = element("li", "chat-message" + (mine ? " chat-mine" : ""));
    item.id = "message-" + message.id;
    var meta = element("p", "chat-meta");
    meta.appendChild(element("strong", "", message.author ? message.author.name : "Former member"));
    meta.appendChild(document.createTextNode(" "));
    var time = element("time", "", when(message.sent_at));
    time.setAttribute("datetime", message.sent_at);
    meta.appendChild(time);
    item.appendChild(meta);
    item.appendChild(element("p", "chat-text", message.content));
    log.appendChild(item);
    var empty = document.querySelector(".chat-empty");
    if (empty) { empty.parentNode.removeChild(empty); }
    item.scrollIntoView({ block: "end" });
    return true;
  }

  function json(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (!res.ok) { throw new Error("HTTP " + res.status); }
      return res.json();
    });
  }

  // Others' messages count as read once the page is in view.
  function markRead() {
    if (!unreadId || document.visibilityState !== "visible") { return; }
    json("PUT", api + "/read", { message_id: unreadId }).catch(function () {});
    unreadId = 0;
  }
  document.addEventListener("visibilitychange", markRead);

  function receive(event) {
    if (event.type !== "message" || !event.message) { return; }
    lastSeenId = Math.max(lastSeenId, event.message.id);
    var mine = event.message.author && event.message.author.id === viewerId;
    if (append(event.message) && !mine) {
      unreadId = event.message.id;
      markRead();
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/api/v1/ws?last_message_id=" + lastSeenId);
    var ping = null;
    socket.onopen = function () {
      delay = 1000;
      ping = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    };
    socket.onmessage = function (e) {
      var event;
      try { event = JSON.parse(e.data); } catch (err) { return; }
      receive(event);
    };
    socket.onclose = function () {
      clearInterval(ping);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  if (form) {
    form.addEventListener("submit", function (e) {
      var box = form.querySelector("textarea[name=content]");
      var button = form.querySelector("button[type=submit]");
      if (!box || !box.value.trim()) { return; }
      e.preventDefault();
      button.disabled = true;
      json("POST", api + "/messages", { content: box.value, client_sent_at: new Date().toISOString() })
        .then(function (message) {
          box.value = "";
          button.disabled = false;
          append(message);
          box.focus();
        })
        .catch(function () {
          // The server explains what went wrong on the page a normal post shows.
          button.disabled = false;
          form.submit();
        });
    });
  }

  connect();
})();
