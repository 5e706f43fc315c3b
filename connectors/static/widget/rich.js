// Teller rich messages: one renderer for the customer's widget and the agent console, so
// an agent sees a message as the customer saw it. A message's attachment (bot/messages.py:
// card, table, image, file, places) becomes accessible DOM, built with textContent and
// attributes only: nothing the server sends is ever parsed as HTML, and no inline styles
// (the console's Content-Security-Policy allows none). Links are http(s) only, resolved
// against Teller's origin (`base`), so a relative /media/... URL works from any host page.
//
//   TellerRich.render(attachment, { base }) -> Element | null  (null: unknown kind, show text)
//   TellerRich.replacesText(attachment)     -> whether the element says all the text says
(() => {
  "use strict";
  if (window.TellerRich) return;
  let ids = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(raw, base) {
    try {
      const url = new URL(String(raw), base || document.baseURI);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  // 1536 -> "1.5 KB"; what a customer reads before downloading on a phone contract.
  function humanSize(bytes) {
    const n = Number(bytes);
    if (!Number.isFinite(n) || n < 0) return "";
    if (n < 1024) return `${n} B`;
    const units = ["KB", "MB", "GB"];
    let value = n / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
  }

  const AMOUNT = /^[+\-−]?\s?([£€$]|[A-Z]{3}\s)\d/;

  function card(a) {
    const box = el("section", "rich rich-card");
    const title = el("h3", "rich-card-title", a.title);
    title.id = `teller-rich-${++ids}`;
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", title.id);
    box.append(title);
    if (a.amount) {
      const amount = el("p", "rich-card-amount");
      amount.append(el("strong", null, a.amount));
      box.append(amount);
    }
    const lines = (a.lines || []).filter((line) => line);
    if (lines.length) {
      const list = el("ul", "rich-card-lines");
      for (const line of lines) list.append(el("li", null, line));
      box.append(list);
    }
    return box;
  }

  function table(a) {
    const wrap = el("div", "rich rich-table");
    const grid = el("table");
    const caption = el("caption", null, a.caption);
    grid.append(caption);
    const columns = a.columns || [];
    const rows = a.rows || [];
    const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => !r[i] || AMOUNT.test(r[i])));
    const head = el("thead");
    const headRow = el("tr");
    columns.forEach((name, i) => {
      const th = el("th", numeric[i] ? "num" : null, name);
      th.scope = "col";
      headRow.append(th);
    });
    head.append(headRow);
    const body = el("tbody");
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((cell, i) => {
        const node = el(i === 0 ? "th" : "td", numeric[i] ? "num" : null, cell);
        if (i === 0) node.scope = "row";
        tr.append(node);
      });
      body.append(tr);
    }
    grid.append(head, body);
    // A wide table scrolls inside the message on a phone; the region can take focus so a
    // keyboard user can scroll it too.
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", a.caption || "Table");
    wrap.tabIndex = 0;
    wrap.append(grid);
    return wrap;
  }

  function image(a, base) {
    const src = safeUrl(a.url, base);
    if (!src) return null;
    const figure = el("figure", "rich rich-image");
    const img = el("img");
    img.src = src;
    img.alt = a.alt || "";
    if (a.width) img.width = a.width;
    if (a.height) img.height = a.height;
    img.decoding = "async";
    figure.append(img);
    return figure;
  }

  function typeName(mediaType, name) {
    const known = { "application/pdf": "PDF", "text/csv": "CSV", "image/png": "PNG" };
    if (known[mediaType]) return known[mediaType];
    const dot = String(name || "").lastIndexOf(".");
    return dot > 0 ? String(name).slice(dot + 1).toUpperCase() : "";
  }

  function file(a, base) {
    const href = safeUrl(a.url, base);
    if (!href) return null;
    const box = el("p", "rich rich-file");
    const link = el("a");
    link.href = href;
    link.download = a.name || "";
    link.rel = "noopener";
    const details = [typeName(a.media_type, a.name), humanSize(a.size)].filter(Boolean).join(", ");
    link.append(el("span", "rich-file-name", a.name), el("span", "rich-file-size", details ? ` (${details})` : ""));
    box.append(link);
    if (a.expires_at) {
      const until = new Date(a.expires_at * 1000);
      const when = el("time", "rich-file-expiry");
      when.dateTime = until.toISOString();
      when.textContent = `Link works until ${until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
      box.append(el("br"), when);
    }
    return box;
  }

  function places(a, base) {
    const list = el("ul", "rich rich-places");
    for (const place of a.places || []) {
      const item = el("li", "rich-place");
      item.append(el("strong", "rich-place-name", place.name));
      const facts = [place.address, place.distance].filter(Boolean).join(" · ");
      item.append(el("span", "rich-place-facts", facts));
      if (place.open_now === true || place.open_now === false) {
        item.append(el("span", `rich-place-open ${place.open_now ? "open" : "closed"}`, place.open_now ? "Open now" : "Closed now"));
      }
      for (const detail of place.details || []) item.append(el("span", "rich-place-detail", detail));
      const href = safeUrl(place.map_url, base);
      if (href) {
        const link = el("a", "rich-place-map", "Map");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.append(el("span", "visually-hidden", ` of ${place.name} (opens in a new tab)`));
        item.append(link);
      }
      list.append(item);
    }
    return list;
  }

  const KINDS = { card, table, image, file, places };

  window.TellerRich = {
    render(attachment, options = {}) {
      const make = attachment && KINDS[attachment.kind];
      if (!make) return null;
      try {
        return make(attachment, options.base);
      } catch {
        return null; // a malformed attachment: the text says it all anyway
      }
    },
    // Tables and cards carry everything their message's text says (caption, title, every
    // row), so they are shown instead of it; images, files and places go under the text.
    replacesText(attachment) {
      return Boolean(attachment) && (attachment.kind === "table" || attachment.kind === "card");
    },
    humanSize,
  };
})();
