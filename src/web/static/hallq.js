// Shared by hallq's pages: tokens, API calls with readable errors, the event stream with
// resume by sequence number, and zh-CN / English texts.
"use strict";
const hallq = (() => {
  const params = new URLSearchParams(location.search);
  const lang = (params.get("lang") || localStorage.getItem("hallq.lang") || "zh").startsWith("en") ? "en" : "zh";
  const t = (zh, en) => (lang === "en" && en ? en : zh);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  // A device's token, given once in the address (#token=… keeps it out of the server's
  // logs; ?token=… also works) and then kept on the device; it is taken out of the address
  // bar at once so it stays out of the browser's history.
  function token(kind) {
    const hash = new URLSearchParams(location.hash.slice(1));
    const fromUrl = hash.get("token") || params.get("token");
    if (fromUrl) {
      localStorage.setItem("hallq.token." + kind, fromUrl);
      params.delete("token");
      const rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));
      return fromUrl;
    }
    return localStorage.getItem("hallq.token." + kind) || "";
  }

  // A one-time ticket for the event stream, so the token itself is never in a URL.
  async function streamTicket(tok) {
    const r = await fetch("/api/v1/stream-ticket", { method: "POST", headers: { Authorization: "Bearer " + tok } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    return (await r.json()).ticket;
  }

  // A PDF the API serves to a token: fetched with the header and opened from memory.
  async function openPdf(tok, path) {
    const r = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + tok } });
    if (!r.ok) { const e = await r.json().catch(() => ({})); throw new ApiError(r.status, (e.error || {}).code, (e.error || {}).message || "HTTP " + r.status); }
    window.open(URL.createObjectURL(await r.blob()), "_blank");
  }

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(tok, method, path, body) {
    let r;
    try {
      r = await fetch("/api/v1" + path, {
        method,
        headers: Object.assign({ Authorization: "Bearer " + tok }, body === undefined ? {} : { "Content-Type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network", t("无法连接叫号服务，请检查网络", "Cannot reach the hall service; check the network"));
    }
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(r.status, e.code || "http_" + r.status, e.message || "HTTP " + r.status);
    }
    return data;
  }

  // Follows the event stream, resuming from the last sequence number after any drop.
  // onEvent(record, live) for each event, live being false for catch-up after a drop;
  // onStatus(true|false) as the connection comes and goes.
  // `query` is "token=…" for a device (traded for a one-time ticket before each connect),
  // or "ticket=…&token=…" for a visitor following their own ticket.
  function follow(query, onEvent, onStatus) {
    let last = null;
    let delay = 500;
    let liveFrom = 0;
    const q = new URLSearchParams(query);
    const device = q.has("token") && !q.has("ticket") ? q.get("token") : null;
    function retry() { onStatus(false); setTimeout(connect, delay); delay = Math.min(delay * 2, 5000); }
    async function connect() {
      const proto = location.protocol === "https:" ? "wss" : "ws";
      const since = last === null ? "" : "&since=" + last;
      let auth = query;
      if (device !== null) {
        try { auth = "ws_ticket=" + encodeURIComponent(await streamTicket(device)); } catch (e) { retry(); return; }
      }
      const ws = new WebSocket(`${proto}://${location.host}/api/v1/events?${auth}${since}`);
      ws.onopen = () => { delay = 500; onStatus(true); };
      ws.onmessage = (m) => {
        const e = JSON.parse(m.data);
        if (e.type === "hello") { if (last === null) last = e.since; liveFrom = e.last_seq; return; }
        if (last !== null && e.seq <= last) return;
        last = e.seq;
        onEvent(e, e.seq > liveFrom);
      };
      ws.onclose = retry;
    }
    connect();
    return { lastSeq: () => last };
  }

  function clock(el, nowIso) {
    if (el && nowIso) el.textContent = nowIso.replace("T", " ").slice(0, 16);
  }

  return { t, esc, lang, params, token, api, follow, clock, openPdf, ApiError };
})();
