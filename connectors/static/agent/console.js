// Agent console: sign-in, live queue, transcript, claim / reply / note / hand back / close.
// Everything the server sends is rendered with textContent: customer text is never HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/agent/api";
const view = { me: null, csrf: null, queue: [], current: null, status: null, holder: null, lastSeq: 0 };
let socket = null;
let retry = 500;
let queueTimer = null;

async function call(method, path, body) {
  const headers = body ? { "Content-Type": "application/json" } : {};
  // Every POST and DELETE carries the session's anti-forgery token (from sign-in or /me).
  if (method !== "GET" && view.csrf) { headers["X-CSRF-Token"] = view.csrf; }
  const response = await fetch(api + path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/session") { showSignIn(); }
  if (!response.ok) { throw Object.assign(new Error(data.error?.message || "Something went wrong."), { status: response.status, code: data.error?.code }); }
  return data;
}

function showSignIn(message) {
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  view.me = null; view.csrf = null;
  $("who").hidden = true; $("console-view").hidden = true; $("sign-in-view").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("name").focus();
}

async function showConsole(agent) {
  view.me = agent;
  $("agent-name").textContent = agent.name;
  $("who").hidden = false; $("sign-in-view").hidden = true; $("console-view").hidden = false;
  const { canned } = await call("GET", "/canned");
  const select = $("canned");
  select.length = 1;
  for (const item of canned) { select.add(new Option(item.title, item.text)); }
  connect();
  await refreshQueue();
}

// -- live feed ------------------------------------------------------------------------------
function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/agent/ws`;
  socket = new WebSocket(url);
  let refusal = null;  // the server's reason, sent just before it closes with 4401
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "error") { refusal = frame.error?.message || null; return; }
    onFrame(frame);
  };
  socket.onopen = () => { retry = 500; };
  socket.onclose = (event) => {
    setLive(false);
    if (event.code === 4401) { showSignIn(refusal); return; }
    setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
  };
}

function setLive(on) {
  $("live").textContent = on ? "Online" : "Reconnecting…";
  $("live").classList.toggle("on", on);
}

function onFrame(frame) {
  if (frame.type === "ready") { setLive(true); refreshQueue(); if (view.current) { openConversation(view.current, false); } return; }
  if (frame.type !== "events") { return; }
  const known = view.queue.some((item) => item.conversation_id === frame.conversation_id);
  if (!known || frame.events.some((e) => e.type === "handoff")) { scheduleQueueRefresh(); }
  if (frame.conversation_id === view.current) { addEvents(frame.events); }
}

function scheduleQueueRefresh() {
  clearTimeout(queueTimer);
  queueTimer = setTimeout(refreshQueue, 150);
}

// -- queue ----------------------------------------------------------------------------------
async function refreshQueue() {
  const data = await call("GET", "/queue");
  view.queue = data.conversations;
  $("online").textContent = `${data.agents_online} agent${data.agents_online === 1 ? "" : "s"} online`;
  const waiting = view.queue.filter((item) => item.status === "queued").length;
  $("queue-count").textContent = `(${waiting} waiting)`;
  $("queue-empty").hidden = view.queue.length > 0;
  const list = $("queue");
  list.replaceChildren(...view.queue.map(queueEntry));
}

function queueEntry(item) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.conversation = item.conversation_id;
  if (item.conversation_id === view.current) { button.setAttribute("aria-current", "true"); }
  const who = document.createElement("strong");
  who.textContent = item.customer_id || "Anonymous visitor";
  const badge = document.createElement("span");
  badge.className = `badge ${item.status}`;
  badge.textContent = item.status === "queued" ? "Waiting" : (item.agent_id === view.me.id ? "With you" : `With ${item.agent_id}`);
  const meta = document.createElement("span");
  meta.className = "muted";
  meta.textContent = `${item.channel} · since ${clock(item.since)}`;
  button.append(who, badge, meta);
  button.addEventListener("click", () => openConversation(item.conversation_id, true));
  li.append(button);
  return li;
}

// -- one conversation -----------------------------------------------------------------------
async function openConversation(id, focus) {
  const data = await call("GET", `/conversations/${encodeURIComponent(id)}`);
  view.current = id; view.lastSeq = 0;
  for (const button of $("queue").querySelectorAll("button")) {
    button.toggleAttribute("aria-current", button.dataset.conversation === id);
    if (button.dataset.conversation === id) { button.setAttribute("aria-current", "true"); }
  }
  $("placeholder").hidden = true; $("conversation").hidden = false;
  $("conversation-title").textContent = data.customer ? data.customer.name : "Anonymous visitor";
  $("conversation-meta").textContent = `${data.channel} · ${id}`;
  renderProfile(data.customer);
  renderCases(data.cases || []);
  $("transcript").replaceChildren();
  addEvents(data.transcript);
  setStatus(data.status, data.agent_id);
  $("action-error").textContent = "";
  if (focus) { $("claim").disabled ? $("message").focus() : $("claim").focus(); }
}

function renderProfile(customer) {
  const box = $("profile");
  box.replaceChildren();
  if (!customer) { box.textContent = "Not signed in: no profile."; return; }
  const fields = [["Name", customer.name], ["Phone", customer.phone], ["Email", customer.email],
    ["Accounts", customer.accounts.join(", ") || "none"]];
  for (const [label, value] of fields) {
    const dl = document.createElement("dl");
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = value;
    dl.append(dt, dd); box.append(dl);
  }
}

// The customer's disputes and fraud reports, the ones this conversation's handoff attached
// first (marked), each with its reference, status and what it is about.
function renderCases(cases) {
  const box = $("cases");
  box.replaceChildren();
  if (!cases.length) { return; }
  const title = document.createElement("h3"); title.textContent = "Cases";
  const list = document.createElement("ul");
  for (const c of cases) {
    const item = document.createElement("li");
    item.className = c.attached ? "case attached" : "case";
    item.dataset.reference = c.reference;
    const head = document.createElement("strong");
    head.textContent = `${c.reference} · ${c.kind} · ${c.status}`;
    const about = [c.reason];
    if (c.merchant) { about.push(`${c.amount || c.payment} of ${c.payment} at ${c.merchant} on ${c.booked_on}`); }
    if (c.card_id) { about.push(`card ${c.card_id}`); }
    about.push(`opened ${c.opened}`);
    const detail = document.createElement("span"); detail.textContent = about.join(" · ");
    item.append(head, document.createTextNode(" "), detail);
    if (c.attached) {
      const tag = document.createElement("em"); tag.textContent = " (attached to this handoff)";
      item.append(tag);
    }
    list.append(item);
  }
  box.append(title, list);
}

const KINDS = {
  user_message: (d) => ["customer", "Customer", d.text],
  bot_message: (d) => d.from === "system" ? ["system", "System", d.text] : ["bot", "Teller (bot)", d.text],
  agent_message: (d) => ["agent", d.agent_name || d.agent_id, d.text],
  agent_note: (d) => ["note", `Internal note · ${d.agent_name || d.agent_id}`, d.text],
  handoff: (d) => ["status", null, `Status: ${d.status}${d.reason ? ` (${d.reason.replaceAll("_", " ")})` : ""}`],
};

function addEvents(events) {
  const list = $("transcript");
  for (const event of events) {
    if (event.seq <= view.lastSeq || !KINDS[event.type]) { continue; }
    view.lastSeq = event.seq;
    const [kind, who, text] = KINDS[event.type](event.data);
    const li = document.createElement("li");
    li.className = kind;
    li.dataset.seq = event.seq;
    if (who) { const label = document.createElement("span"); label.className = "who-said"; label.textContent = `${who} · ${clock(event.ts)}`; li.append(label); }
    li.append(richBody(text, event.type === "bot_message" ? event.data.attachment : null));
    list.append(li);
    if (event.type === "handoff") { setStatus(event.data.status, event.data.agent_id || null); }
  }
  list.scrollTop = list.scrollHeight;
}

// The bot's rich messages as the customer saw them: the widget's own renderer (rich.js).
function richBody(text, attachment) {
  const rich = attachment && window.TellerRich ? window.TellerRich.render(attachment, { base: location.origin }) : null;
  if (!rich) { return document.createTextNode(text); }
  const box = document.createElement("div");
  box.className = "said-rich";
  if (!window.TellerRich.replacesText(attachment)) { box.append(document.createTextNode(text)); }
  box.append(rich);
  return box;
}

function setStatus(status, holder) {
  view.status = status; view.holder = holder;
  const mine = status === "agent" && holder === view.me.id;
  $("claim").disabled = status !== "queued";
  $("hand-back").disabled = !mine; $("close").disabled = !mine; $("send").disabled = !mine;
  $("claim").textContent = mine ? "Claimed by you" : (status === "agent" ? `Held by ${holder}` : "Claim");
}

async function act(path, body) {
  $("action-error").textContent = "";
  try {
    const data = await call("POST", `/conversations/${encodeURIComponent(view.current)}/${path}`, body);
    addEvents(data.events);
    return true;
  } catch (error) {
    $("action-error").textContent = error.message;
    if (error.code === "already_claimed") { openConversation(view.current, false); }
    return false;
  }
}

async function send(kind) {
  const box = $("message");
  const text = box.value.trim();
  if (!text) { $("action-error").textContent = "Write something first."; box.focus(); return; }
  if (await act(kind, { text })) { box.value = ""; }
  box.focus();
}

function clock(ts) { return new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

// -- wiring ---------------------------------------------------------------------------------
$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    const { agent, csrf_token: csrf } = await call("POST", "/session", { name: $("name").value, password: $("password").value });
    view.csrf = csrf;
    $("password").value = "";
    await showConsole(agent);
  } catch (error) {
    $("sign-in-error").textContent = error.message;
    $("password").select();
  }
});
$("sign-out").addEventListener("click", async () => { await call("DELETE", "/session"); showSignIn(); });
$("claim").addEventListener("click", async () => { if (await act("claim")) { $("message").focus(); scheduleQueueRefresh(); } });
$("hand-back").addEventListener("click", async () => { if (await act("handback")) { scheduleQueueRefresh(); } });
$("close").addEventListener("click", async () => { if (await act("close")) { scheduleQueueRefresh(); } });
$("composer").addEventListener("submit", (event) => { event.preventDefault(); send("reply"); });
$("add-note").addEventListener("click", () => send("note"));
$("message").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); if (!$("send").disabled) { send("reply"); } }
});
$("canned").addEventListener("change", (event) => {
  if (!event.target.value) { return; }
  const box = $("message");
  box.value = box.value ? `${box.value} ${event.target.value}` : event.target.value;
  event.target.value = "";
  box.focus();
});

call("GET", "/me").then(({ agent, csrf_token: csrf }) => { view.csrf = csrf; return showConsole(agent); }).catch(() => showSignIn());
