// Teller chat widget. Embed with one tag (see README "Embedding the widget"):
//   <script src="https://teller.example/widget/widget.js" data-token="getTellerToken" defer></script>
// Talks to Teller's /ws: every transcript frame carries its event seq; the widget shows each
// seq once, acknowledges it, keeps the transcript and the last seq in sessionStorage, and
// after a reconnect (backoff with jitter) says hello with them so the server replays what
// was missed. Messages typed while offline wait in a queue with client ids, so a resend
// after an ambiguous disconnect is never processed twice.
(() => {
  "use strict";
  if (window.TellerWidget && window.TellerWidget.version) return; // embedded twice

  const script = document.currentScript;
  const origin = new URL(script.src).origin;
  const stylesheet = new URL("widget.css", script.src).href;
  const richStyles = new URL("rich.css", script.src).href;
  const richScript = new URL("rich.js", script.src).href;
  const socketUrl = origin.replace(/^http/, "ws") + "/ws";
  const storageKey = "teller-widget:" + origin;
  const KEEP_FRAMES = 200;
  const SHARE_LOCATION = "/share_location"; // a button that asks the browser where we are
  const MAX_BACKOFF_MS = 30000;
  const HEARTBEAT_MS = Number(script.dataset.heartbeat || 20) * 1000;
  const STATUS_TEXT = {
    bot: "Teller assistant",
    queued: "Waiting for a person to join",
    agent: "You're chatting with a person",
    closed: "Conversation closed",
  };

  let tokenHook = null;
  let socket = null;
  let ready = false;
  let attempts = 0;
  let authFailures = 0;
  let retryTimer = null;
  let ackTimer = null;
  let heardAt = 0; // when the current socket last sent us anything
  let unread = 0;
  const inFlight = new Set(); // client ids of messages whose turn has not answered yet
  let state = load();

  // ---- storage: the transcript survives reloads within the tab, not beyond it ----
  function empty() {
    return { conversationId: null, lastSeq: 0, status: "bot", awaiting: null, frames: [], pending: [] };
  }
  function load() {
    try {
      return { ...empty(), ...JSON.parse(sessionStorage.getItem(storageKey) || "{}") };
    } catch {
      return empty();
    }
  }
  function save() {
    state.frames = state.frames.slice(-KEEP_FRAMES);
    // While a one-time code is awaited, what the customer types stays in memory only.
    const pending = state.awaiting === "otp" ? [] : state.pending.map(({ sent, ...m }) => m);
    const kept = { ...state, pending };
    try {
      sessionStorage.setItem(storageKey, JSON.stringify(kept));
    } catch {
      /* storage full or disabled: the widget still works, without surviving a reload */
    }
  }

  // ---- markup, in a shadow root so host page styles and ours never mix ----
  const host = document.createElement("div");
  host.id = "teller-widget";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
    <link rel="stylesheet" href="${stylesheet}">
    <link rel="stylesheet" href="${richStyles}">
    <button class="launcher" type="button" aria-expanded="false" aria-controls="panel">
      <svg class="launcher-icon" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>
      <span class="launcher-text">Chat</span>
      <span class="badge" hidden></span>
    </button>
    <section class="panel" id="panel" role="dialog" aria-modal="false" aria-labelledby="title" hidden>
      <header>
        <div>
          <h2 id="title"></h2>
          <p class="status" role="status"></p>
        </div>
        <button class="close" type="button" aria-label="Close chat">×</button>
      </header>
      <ol class="log" role="log" aria-live="polite" aria-label="Messages" tabindex="0"></ol>
      <p class="typing" hidden><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span><span class="typing-text"></span></p>
      <p class="connection" role="status"></p>
      <form class="composer" autocomplete="off">
        <label for="input" class="visually-hidden">Your message</label>
        <input id="input" name="message" maxlength="2000" placeholder="Type your message">
        <button type="submit" class="send">Send</button>
      </form>
    </section>`;
  const $ = (selector) => root.querySelector(selector);
  const launcher = $(".launcher");
  const panel = $(".panel");
  const log = $(".log");
  const input = $("#input");
  const typing = $(".typing");
  const typingText = $(".typing-text");
  const connection = $(".connection");
  const statusLine = $(".status");
  $("#title").textContent = script.dataset.title || "Chat with Teller";

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.classList.toggle("is-open", open);
    if (open) {
      unread = 0;
      scrollToEnd();
      input.focus();
    }
    showUnread();
  }
  launcher.addEventListener("click", () => setOpen(panel.hidden));
  $(".close").addEventListener("click", () => {
    setOpen(false);
    launcher.focus();
  });
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      setOpen(false);
      launcher.focus();
    }
  });
  $(".composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    submit(text, null);
  });

  function showUnread() {
    const badge = $(".badge");
    badge.hidden = unread === 0;
    badge.textContent = String(unread);
    launcher.setAttribute(
      "aria-label",
      !panel.hidden ? "Hide chat" : unread ? `Open chat, ${unread} new message${unread > 1 ? "s" : ""}` : "Open chat",
    );
  }

  // ---- rendering ----
  const clock = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
  const WHO = { bot: "Teller", agent: "Agent", system: "Teller", customer: "You" };

  // A message's body: its text, or its rich form (rich.js, shared with the agent console)
  // with the text above it where the rich form does not already say it all.
  function body(text, attachment) {
    const rich = attachment && window.TellerRich ? window.TellerRich.render(attachment, { base: origin }) : null;
    if (!rich) {
      const plain = document.createElement("p");
      plain.className = "text";
      plain.textContent = text;
      return plain;
    }
    const box = document.createElement("div");
    box.className = "text has-rich";
    if (!window.TellerRich.replacesText(attachment) && text) {
      const said = document.createElement("p");
      said.className = "said";
      said.textContent = text;
      box.appendChild(said);
    }
    box.appendChild(rich);
    return box;
  }

  function bubble(from, text, ts, attachment) {
    const item = document.createElement("li");
    item.className = `msg from-${from}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = WHO[from] || "Teller";
    const shown = body(text, attachment);
    const when = document.createElement("time");
    const date = new Date(ts * 1000);
    when.dateTime = date.toISOString();
    when.textContent = clock.format(date);
    const note = document.createElement("span");
    note.className = "note";
    item.append(who, shown, when, note);
    return item;
  }

  // The opening greeting (from the ready frame of a new conversation): not a stored message,
  // so it has no seq of its own and sits above everything; its chips are sent as the
  // customer's first message.
  function showGreeting(greeting) {
    const old = log.querySelector("li.greeting");
    if (old) old.remove();
    if (!greeting || log.querySelector("li.msg")) return;
    const item = document.createElement("li");
    item.className = "greeting from-bot";
    item.dataset.seq = "0";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = WHO.bot;
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = greeting.text;
    item.append(who, text);
    if (greeting.buttons && greeting.buttons.length) item.appendChild(quickReplies(greeting.buttons));
    log.insertBefore(item, log.firstChild);
  }

  function quickReplies(buttons) {
    const group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const b of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      if (b.payload === SHARE_LOCATION) {
        button.addEventListener("click", () => shareLocation(b.title, b.payload));
      } else {
        button.addEventListener("click", () => submit(b.title, b.payload));
      }
      group.appendChild(button);
    }
    return group;
  }

  // Suggested replies belong to the newest message only; older ones would act on a past question.
  function pruneQuickReplies() {
    const groups = [...log.querySelectorAll(".quick-replies")];
    const last = log.lastElementChild;
    for (const group of groups) {
      if (group.parentElement === last && !last.classList.contains("from-customer")) continue;
      if (root.activeElement && group.contains(root.activeElement)) input.focus();
      group.remove();
    }
  }

  // Numbered items stay in seq order; messages not yet taken by the server stay below them.
  function placeNumbered(item, seq) {
    item.dataset.seq = String(seq);
    const after = [...log.children].find((li) => !li.dataset.seq || Number(li.dataset.seq) > seq);
    log.insertBefore(item, after || null);
  }

  function renderFrame(frame, restoring) {
    if (frame.type === "status") {
      setStatus(frame.status);
      return;
    }
    const mine = frame.client_id && log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
    if (mine) {
      // our own message, now taken: show it as stored (one-time codes masked), with its seq
      mine.classList.remove("pending", "failed");
      mine.querySelector(".text").textContent = frame.text;
      mine.querySelector(".note").textContent = "";
      placeNumbered(mine, frame.seq);
    } else {
      const item = bubble(frame.from, frame.text, frame.ts, frame.attachment);
      if (frame.buttons && frame.buttons.length) item.appendChild(quickReplies(frame.buttons));
      placeNumbered(item, frame.seq);
      if (!restoring && frame.from !== "customer") {
        window.dispatchEvent(new CustomEvent("teller:message", { detail: frame }));
        if (panel.hidden) {
          unread += 1;
          showUnread();
        }
      }
    }
    pruneQuickReplies();
    scrollToEnd();
  }

  function setStatus(status) {
    state.status = status;
    statusLine.textContent = STATUS_TEXT[status] || "";
    typingText.textContent = status === "agent" ? "The agent is typing…" : "Teller is typing…";
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function updateTyping() {
    typing.hidden = inFlight.size === 0;
    if (!typing.hidden) scrollToEnd();
  }

  // Kept rendered even when empty: a live region that appears with its text is often not read.
  function setConnection(text) {
    connection.textContent = text;
  }

  // ---- frames from the server ----
  function accept(frame) {
    if (typeof frame.seq !== "number" || frame.seq <= state.lastSeq) return; // shown already
    state.lastSeq = frame.seq;
    if (frame.type === "message") state.frames.push(frame);
    renderFrame(frame, false);
    save();
    scheduleAck();
  }

  function scheduleAck() {
    if (ackTimer) return;
    ackTimer = setTimeout(() => {
      ackTimer = null;
      sendFrame({ type: "ack", seq: state.lastSeq });
    }, 50);
  }

  function settle(clientId) {
    state.pending = state.pending.filter((m) => m.client_id !== clientId);
    inFlight.delete(clientId);
    updateTyping();
    save();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "message":
      case "status":
        accept(frame);
        break;
      case "ready":
        if (state.conversationId && !frame.conversation_id) restart();
        state.conversationId = frame.conversation_id || state.conversationId;
        if (!state.conversationId) showGreeting(frame.greeting);
        ready = true;
        attempts = 0;
        authFailures = 0;
        setConnection("");
        save();
        flush();
        break;
      case "reply":
        state.conversationId = frame.conversation_id;
        for (const f of frame.frames || []) accept(f);
        if (frame.state) {
          state.awaiting = frame.state.awaiting;
          setStatus(frame.state.status);
        }
        if (frame.client_id) settle(frame.client_id);
        break;
      case "pong":
        break; // heard: that is all a pong is for
      case "duplicate": {
        // taken before the connection dropped; its messages arrive by replay or push
        const mine = log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
        if (mine) mine.querySelector(".note").textContent = "";
        settle(frame.client_id);
        break;
      }
      case "error":
        onError(frame);
        break;
    }
  }

  function onError(frame) {
    const pending = frame.client_id && state.pending.find((m) => m.client_id === frame.client_id);
    if (pending && frame.retry) {
      // not taken: send it again under a new id once the server can take it
      inFlight.delete(frame.client_id);
      const item = log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
      pending.client_id = newId();
      pending.sent = false;
      if (item) item.dataset.clientId = pending.client_id;
      save();
      updateTyping();
      setTimeout(flush, 1500);
      return;
    }
    if (pending) {
      const item = log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
      if (item) {
        item.classList.add("failed");
        item.querySelector(".note").textContent = `Not sent: ${frame.error.message}`;
      }
      settle(frame.client_id);
      return;
    }
    setConnection(frame.error.message);
  }

  // ---- sending ----
  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  // "Share my location": the browser asks the customer's permission, and the position goes
  // as a location frame. Refused, unavailable or timed out: the button's payload goes
  // instead, and Teller says how else to say where (a town or postcode).
  function shareLocation(title, payload) {
    if (!navigator.geolocation) {
      submit(title, payload);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => submitLocation(position.coords.latitude, position.coords.longitude),
      () => submit(title, payload),
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  }

  function submitLocation(latitude, longitude) {
    const text = `📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
    queue({ client_id: newId(), text, location: { latitude, longitude }, ts: Date.now() / 1000 });
  }

  function submit(text, payload) {
    queue({ client_id: newId(), text, payload, ts: Date.now() / 1000 });
  }

  function queue(message) {
    state.pending.push(message);
    save();
    renderPending(message);
    pruneQuickReplies();
    flush();
  }

  function renderPending(message) {
    const item = bubble("customer", message.text, message.ts);
    item.classList.add("pending");
    item.dataset.clientId = message.client_id;
    log.appendChild(item);
    scrollToEnd();
    if (!ready) item.querySelector(".note").textContent = "Waiting for connection…";
  }

  function flush() {
    if (!ready) return;
    for (const message of state.pending) {
      if (message.sent) continue;
      const { client_id, text, payload, location } = message;
      const frame = location
        ? { type: "location", client_id, latitude: location.latitude, longitude: location.longitude }
        : { type: "message", client_id, text, payload };
      if (!sendFrame(frame)) return;
      message.sent = true;
      inFlight.add(client_id);
      const item = log.querySelector(`li[data-client-id="${CSS.escape(client_id)}"]`);
      if (item) item.querySelector(".note").textContent = "";
    }
    updateTyping();
  }

  function sendFrame(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  // ---- connection: hello with what we have, reconnect with backoff and jitter ----
  async function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    let token = null;
    try {
      token = tokenHook ? await tokenHook() : null;
    } catch {
      return retry("Couldn't sign you in. Retrying…");
    }
    const ws = new WebSocket(socketUrl);
    const replaced = socket;
    socket = ws;
    if (replaced) replaced.close(1000);
    watch(ws);
    ws.addEventListener("open", () => {
      ws.send(
        JSON.stringify({
          type: "hello",
          token: token || undefined,
          conversation_id: state.conversationId || undefined,
          last_seq: state.lastSeq,
          greet: true,
        }),
      );
    });
    ws.addEventListener("message", (e) => {
      if (socket !== ws) return;
      heardAt = Date.now();
      onFrame(JSON.parse(e.data));
    });
    ws.addEventListener("close", (e) => dropped(ws, e.code));
  }

  // A phone that changes networks can leave a socket that neither delivers nor closes for
  // minutes. Ping every heartbeat; when nothing at all came back since the last ping (or
  // since connecting), give the socket up and reconnect.
  function watch(ws) {
    let pingedAt = Date.now();
    const timer = setInterval(() => {
      if (socket !== ws) return clearInterval(timer); // this socket is over
      if (heardAt < pingedAt) {
        ws.close(4000); // its close event may take long on a dead network: act now
        return dropped(ws, 4000);
      }
      pingedAt = Date.now();
      sendFrame({ type: "ping" });
    }, HEARTBEAT_MS);
  }

  function dropped(ws, code) {
    if (socket !== ws) return; // replaced on purpose, or already handled
    socket = null;
    ready = false;
    inFlight.clear();
    for (const message of state.pending) message.sent = false;
    updateTyping();
    for (const item of log.querySelectorAll("li.pending .note")) item.textContent = "Waiting for connection…";
    if (code === 4401 && ++authFailures > 1) {
      setConnection("Please sign in again to keep chatting.");
      return;
    }
    retry("Connection lost. Reconnecting…");
  }

  function retry(message) {
    setConnection(message);
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts);
    attempts += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function reconnectNow() {
    const old = socket;
    socket = null;
    ready = false;
    if (old) old.close(1000);
    connect();
  }

  // A conversation the server no longer recognises for this customer: start afresh, but
  // keep what was typed and not yet taken.
  function restart() {
    const pending = state.pending;
    state = { ...empty(), pending };
    for (const item of [...log.children]) if (!item.classList.contains("pending")) item.remove();
    setStatus("bot");
    save();
  }

  function restore() {
    setStatus(state.status);
    for (const frame of state.frames) renderFrame(frame, true);
    for (const message of state.pending) renderPending(message);
  }

  window.addEventListener("online", () => {
    if (!socket) reconnectNow();
  });

  window.TellerWidget = {
    version: 1,
    /** Set how the widget gets the customer's token (called on every connect) and connect. */
    init(options = {}) {
      if ("token" in options) tokenHook = options.token || null;
      if (options.open) setOpen(true);
      reconnectNow();
    },
    /** Forget this tab's conversation (call on the host page's sign-out). */
    signOut() {
      tokenHook = null;
      state = empty();
      log.replaceChildren();
      sessionStorage.removeItem(storageKey);
      setStatus("bot");
      reconnectNow();
    },
    open: () => setOpen(true),
    close: () => setOpen(false),
  };

  // rich.js renders attachments here and in the agent console; the widget waits for it
  // (a few seconds at most) before showing the transcript, and without it shows plain text.
  function loadRich() {
    if (window.TellerRich) return Promise.resolve();
    return new Promise((resolve) => {
      const tag = document.createElement("script");
      tag.src = richScript;
      tag.async = true;
      tag.addEventListener("load", resolve);
      tag.addEventListener("error", resolve);
      setTimeout(resolve, 4000);
      document.head.appendChild(tag);
    });
  }

  async function boot() {
    document.body.appendChild(host);
    showUnread();
    await loadRich();
    restore();
    const hookName = script.dataset.token;
    if (hookName) tokenHook = () => window[hookName]();
    if (script.dataset.open === "true") setOpen(true);
    if (!("manual" in script.dataset)) connect();
  }
  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot);
})();
