// Teller demo page: the host page's part. It picks a sandbox customer, hands the widget a
// token hook for them, and shows the dev outbox (one-time codes) as the widget talks.
(() => {
  const picker = document.getElementById("customer");
  const outbox = document.getElementById("outbox");

  async function token() {
    if (!picker.value) return null;
    const r = await fetch("/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customer_id: picker.value }),
    });
    return (await r.json()).token;
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

  function signIn() {
    sessionStorage.setItem("teller-demo-customer", picker.value);
    window.TellerWidget.signOut(); // a different customer: a new conversation
    window.TellerWidget.init({ token });
    refreshOutbox();
  }

  window.addEventListener("teller:message", refreshOutbox);
  picker.addEventListener("change", signIn);
  window.addEventListener("DOMContentLoaded", async () => {
    const customers = await (await fetch("/dev/customers")).json();
    for (const c of customers) picker.add(new Option(`${c.name} (${c.id})`, c.id));
    picker.value = sessionStorage.getItem("teller-demo-customer") || "";
    window.TellerWidget.init({ token }); // a reload resumes the tab's conversation
    refreshOutbox();
  });
})();
