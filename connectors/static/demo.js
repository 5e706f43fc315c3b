// Teller demo page: pick a sandbox customer, chat over /ws, show the dev outbox.
(() => {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const picker = document.getElementById("customer");
  const status = document.getElementById("status");
  const outbox = document.getElementById("outbox");
  let socket = null;
  let conversationId = null;

  function add(kind, text, buttons = []) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    if (buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const b of buttons) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", () => send(b.title, b.payload));
        row.appendChild(btn);
      }
      item.appendChild(row);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  async function token(customerId) {
    if (!customerId) return null;
    const r = await fetch("/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customer_id: customerId }),
    });
    return (await r.json()).token;
  }

  async function connect() {
    if (socket) socket.close();
    log.replaceChildren();
    conversationId = null;
    const tok = await token(picker.value);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws`);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", token: tok }));
    });
    socket.addEventListener("message", (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === "ready") status.textContent = "Connected.";
      if (frame.type === "error") add("error", frame.error.message);
      if (frame.type === "reply") {
        conversationId = frame.conversation_id;
        for (const m of frame.messages) add("bot", m.text, m.buttons);
        const s = frame.state;
        status.textContent = s.flow ? `In flow ${s.flow}${s.awaiting ? `, waiting for ${s.awaiting}` : ""}` : "";
        refreshOutbox();
      }
    });
    socket.addEventListener("close", () => { status.textContent = "Disconnected."; });
    refreshOutbox();
  }

  function send(text, payload = null) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    add("user", text);
    socket.send(JSON.stringify({ type: "message", text, payload }));
  }

  async function refreshOutbox() {
    outbox.replaceChildren();
    if (!picker.value) return;
    const r = await fetch(`/dev/outbox?customer_id=${encodeURIComponent(picker.value)}`);
    for (const m of await r.json()) {
      const li = document.createElement("li");
      const when = document.createElement("time");
      when.textContent = `${new Date(m.sent_at * 1000).toLocaleTimeString()} to ${m.to}`;
      li.append(when, m.text);
      outbox.appendChild(li);
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) send(text);
    input.value = "";
    input.focus();
  });
  picker.addEventListener("change", connect);

  fetch("/dev/customers").then((r) => r.json()).then((customers) => {
    for (const c of customers) picker.add(new Option(`${c.name} (${c.id})`, c.id));
    connect();
  });
})();
