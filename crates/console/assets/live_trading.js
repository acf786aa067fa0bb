// Kestrel Live Trader page (seed 004 §6; docs/console.md). Plain JS, no build step, no CDN.
// Every protected call sends `Authorization: Bearer <token>` (the token is kept in
// localStorage). Live updates come from GET /live/stream read with fetch() and a streaming
// reader (EventSource cannot send headers); on a drop it reconnects with ?from=<next event>.
// All text from the server goes in with textContent, never as HTML.
"use strict";

(function () {
  const SEGMENTS = ["NIFTY", "BANKNIFTY", "SENSEX"];
  const TOKEN_KEY = "kestrel_api_token";
  const MAX_EVENT_ROWS = 500;
  const $ = (id) => document.getElementById(id);

  const state = { nextSeq: 0, streamAbort: null, reconnectTimer: null, lastSnapshot: null };

  // ---------- formatting ----------
  function num(x) {
    if (x === null || x === undefined || x === "") return null;
    const n = typeof x === "number" ? x : parseFloat(x);
    return Number.isFinite(n) ? n : null;
  }
  function rupees(x) {
    const n = num(x);
    if (n === null) return "—";
    return "₹" + n.toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function points(x) {
    const n = num(x);
    return n === null ? "—" : n.toLocaleString("en-IN", { maximumFractionDigits: 2 });
  }
  function hms(iso) {
    return typeof iso === "string" && iso.length >= 19 ? iso.substring(11, 19) : (iso || "—");
  }
  function signClass(x) {
    const n = num(x);
    return n === null || n === 0 ? "" : n > 0 ? "pos" : "neg";
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // ---------- messages ----------
  function say(text, kind) {
    const m = $("msg");
    m.textContent = text;
    m.className = "msg " + (kind || "");
  }
  function errorText(status, body) {
    if (body && typeof body.error === "string") {
      return "HTTP " + status + ": " + body.error + (body.field ? " (field: " + body.field + ")" : "");
    }
    return "HTTP " + status;
  }

  // ---------- API ----------
  function token() {
    return $("token").value.trim();
  }
  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    const t = token();
    if (t) h["Authorization"] = "Bearer " + t;
    return h;
  }
  async function api(method, path, body) {
    const opts = { method: method, headers: authHeaders() };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    let data = null;
    try { data = await resp.json(); } catch (_) { data = null; }
    if (!resp.ok) throw new Error(errorText(resp.status, data));
    return data;
  }
  async function act(label, method, path, body) {
    say(label + "…");
    try {
      const r = await api(method, path, body);
      say(label + ": " + ((r && r.message) || "done"), "ok");
      return r;
    } catch (e) {
      say(label + " failed — " + e.message, "error");
      return null;
    }
  }

  // ---------- start request from the form ----------
  function val(id) { return $(id).value.trim(); }
  function decimalField(id) { const v = val(id); return v === "" ? undefined : v; }
  function intField(id) { const v = val(id); return v === "" ? undefined : parseInt(v, 10); }
  function startRequest() {
    const segments = SEGMENTS.filter((s) => $("seg-" + s).checked);
    const pyramid = {};
    for (const s of segments) {
      pyramid[s] = {
        pyramid_points: decimalField("pyramid-" + s),
        lot_addition: intField("lotadd-" + s),
        max_quantity: intField("maxqty-" + s),
      };
    }
    return {
      mode: val("mode"),
      confirm_live: $("confirm-live").checked,
      segments: segments,
      // Disabled: the session's strategy has no such parameter (see loadParams).
      timeframe: $("timeframe").disabled ? undefined : val("timeframe"),
      rsi_period: $("rsi-period").disabled ? undefined : intField("rsi-period"),
      capital: decimalField("capital"),
      sl_points: decimalField("sl-points"),
      trailing_stop_points: decimalField("tsl-points"),
      itm_offset: decimalField("itm-offset"),
      pyramiding: $("pyramiding").checked,
      pyramid: pyramid,
      risk: {
        max_trades_per_segment: intField("max-trades"),
        max_daily_loss: decimalField("max-daily-loss"),
        entry_window_start: val("window-start") || undefined,
        entry_window_end: val("window-end") || undefined,
      },
    };
  }

  // ---------- rendering ----------
  function renderTotals(s) {
    const t = $("totals");
    t.replaceChildren();
    if (!s || !s.totals) return;
    const add = (label, value, cls) => {
      const d = el("div");
      d.append(el("span", label + ": ", "muted"), el("strong", value, cls));
      t.append(d);
    };
    add("Trades", s.totals.trades);
    add("Win rate", points(s.totals.win_rate_pct) + "%");
    add("Gross", rupees(s.totals.gross_pnl), signClass(s.totals.gross_pnl));
    add("Charges", rupees(s.totals.charges));
    add("Net P&L", rupees(s.totals.net_pnl), signClass(s.totals.net_pnl));
    add("Open P&L", rupees(s.totals.open_pnl), signClass(s.totals.open_pnl));
  }

  function card(seg, c) {
    const d = el("div", null, "card");
    d.id = "card-" + seg;
    const h = el("h3");
    const st = (c && c.state) || "IDLE";
    const badge = el("span", st.replace(/_/g, " "), "state " + st);
    badge.id = "card-" + seg + "-state";
    badge.dataset.state = st;
    h.append(el("span", seg), badge);
    d.append(h);
    const dl = el("dl");
    const row = (k, v, cls) => { dl.append(el("dt", k), el("dd", v, cls)); };
    // What the agent watches: its index, its near-month future (instrument = "underlying"),
    // or a scanned stock's share.
    const watches = (c && c.watches) || (SEGMENTS.includes(seg) ? "INDEX" : "SHARE");
    const ltpLabel = { INDEX: "Index LTP", FUTURE: "Future LTP", SHARE: "Share LTP" }[watches] || "LTP";
    row(ltpLabel, c ? points(c.index_ltp) : "—");
    const p = c && c.position;
    const option = p && (p.option_type === "CE" || p.option_type === "PE");
    if (option && p.hedge) {
      // Seed 003's hedged short (spec §4.3): the option sold and its hedge, bought first.
      row("Sold", p.option_symbol);
      row("Hedge", p.hedge);
      row("Strike / expiry", points(p.strike) + " / " + p.expiry);
      row("Direction", p.direction + " (credit spread)");
      row("Qty", p.quantity + " (" + p.lots + " lots)");
    } else if (option) {
      row("Option", p.option_symbol);
      row("Strike / expiry", points(p.strike) + " / " + p.expiry);
      row("Direction", p.direction + " (" + p.option_type + ")");
      row("Qty", p.quantity + " (" + p.lots + " lots)");
    } else if (p) {
      // A future or a scanned stock's share (seed 001): long or short, no strike.
      row("Instrument", p.option_symbol + " (" + p.option_type + ")");
      row("Direction", p.side === "SELL" ? "SHORT" : "LONG");
      row("Qty", p.option_type === "EQ" ? String(p.quantity) : p.quantity + " (" + p.lots + " lots)");
    }
    if (p) {
      row("Entry", rupees(p.entry_price) + " @ " + hms(p.entry_time));
      row("SL", points(p.sl));
      row("TSL", points(p.tsl));
      if (option) row("LTP", rupees(p.ltp));
      row("Open P&L", rupees(p.open_pnl), signClass(p.open_pnl));
      if (p.closing) row("Status", "closing…");
    }
    row("Trades today", c ? c.trades : 0);
    row("Win rate", c ? points(c.win_rate_pct) + "%" : "—");
    row("Net P&L", c ? rupees(c.net_pnl) : "—", c ? signClass(c.net_pnl) : "");
    if (c && c.pyramid) {
      row("Pyramid", c.pyramid.enabled
        ? points(c.pyramid.pyramid_points) + " ₹/unit, +" + c.pyramid.lot_addition + " lots, max " + c.pyramid.max_quantity
        : "off");
    }
    d.append(dl);
    return d;
  }

  function renderCards(s) {
    const box = $("cards");
    box.replaceChildren();
    const bySeg = {};
    for (const c of (s && s.segments) || []) bySeg[c.segment] = c;
    // The three indices always have a card (idle when not traded); a scanner's stocks
    // (seed 001's universe) follow in the snapshot's order.
    const extra = ((s && s.segments) || []).map((c) => c.segment).filter((x) => !SEGMENTS.includes(x));
    for (const seg of SEGMENTS.concat(extra)) box.append(card(seg, bySeg[seg]));
  }

  function renderTrades(s) {
    const body = $("trades-table").tBodies[0];
    body.replaceChildren();
    for (const t of (s && s.trades) || []) {
      const tr = el("tr");
      // A future or a share (strike 0: seed 001's scanner, instrument = "underlying") was a
      // long or a short; a share has no lots.
      const option = t.option_type === "CE" || t.option_type === "PE";
      // A hedged short's legs (trade ids …-S sold, …-H bought) show the option's own side.
      const leg = /-S$/.test(t.trade_id) ? "SELL_" : /-H$/.test(t.trade_id) ? "BUY_" : "";
      const dir = leg ? leg + t.option_type
        : option ? t.signal_type : t.signal_type === "BUY_PE" ? "SHORT" : "LONG";
      const lots = t.option_type === "EQ" ? "—" : t.lots;
      const cells = [
        [t.trade_id], [t.segment], [t.option_symbol], [dir], [lots, "num"],
        [hms(t.entry_time)], [hms(t.exit_time)], [rupees(t.entry_price), "num"],
        [rupees(t.exit_price), "num"], [t.exit_reason], [rupees(t.net_pnl), "num " + signClass(t.net_pnl)],
      ];
      for (const [v, cls] of cells) tr.append(el("td", v, cls));
      body.append(tr);
    }
  }

  function renderEquity(s) {
    const cv = $("equity-canvas");
    const ctx = cv.getContext("2d");
    ctx.clearRect(0, 0, cv.width, cv.height);
    const pts = ((s && s.equity) || []).map((p) => ({ t: p.ts, v: num(p.equity) })).filter((p) => p.v !== null);
    ctx.font = "12px sans-serif";
    ctx.fillStyle = "#8a93a6";
    if (pts.length === 0) {
      ctx.fillText("no equity points yet", 10, 20);
      return;
    }
    const pad = { l: 70, r: 10, t: 10, b: 20 };
    const w = cv.width - pad.l - pad.r, h = cv.height - pad.t - pad.b;
    let lo = Math.min(0, ...pts.map((p) => p.v)), hi = Math.max(0, ...pts.map((p) => p.v));
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (i) => pad.l + (pts.length === 1 ? w / 2 : (i * w) / (pts.length - 1));
    const y = (v) => pad.t + h - ((v - lo) * h) / (hi - lo);
    ctx.strokeStyle = "#c8ccd6";
    ctx.beginPath(); ctx.moveTo(pad.l, y(0)); ctx.lineTo(pad.l + w, y(0)); ctx.stroke();
    ctx.fillText(rupees(hi), 2, pad.t + 10);
    ctx.fillText(rupees(lo), 2, pad.t + h);
    ctx.fillText(hms(pts[0].t), pad.l, cv.height - 4);
    ctx.fillText(hms(pts[pts.length - 1].t), pad.l + w - 50, cv.height - 4);
    ctx.strokeStyle = pts[pts.length - 1].v >= 0 ? "#2e7d32" : "#c62828";
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach((p, i) => (i === 0 ? ctx.moveTo(x(i), y(p.v)) : ctx.lineTo(x(i), y(p.v))));
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  function renderSnapshot(s, health) {
    state.lastSnapshot = s;
    const line = [];
    if (s && s.mode) line.push(s.mode + " " + s.date);
    if (s && s.now) line.push("engine " + hms(s.now));
    if (s) {
      line.push(s.paused ? "PAUSED" : s.entries_stopped ? "entries stopped" : s.entries_allowed ? "entries allowed" : "entries blocked");
      if (s.halted) line.push("halted: " + s.halted);
      if (s.unreconciled) line.push("unreconciled: " + s.unreconciled);
    } else if (health) {
      line.push(health.session_running ? "session running" : "no session");
    }
    $("session-line").textContent = line.join(" · ");
    renderTotals(s);
    renderCards(s);
    renderTrades(s);
    renderEquity(s);
  }

  function addEvent(seq, e) {
    const body = $("events-table").tBodies[0];
    const tr = el("tr", null, "kind-" + e.event);
    tr.dataset.seq = String(seq);
    let details = "";
    if (e.data && typeof e.data === "object" && Object.keys(e.data).length) {
      details = Object.entries(e.data).map(([k, v]) => k + "=" + (typeof v === "object" ? JSON.stringify(v) : v)).join(", ");
    }
    tr.append(el("td", hms(e.ts)), el("td", e.segment || ""), el("td", e.event), el("td", e.message), el("td", details, "muted"));
    body.insertBefore(tr, body.firstChild); // newest first
    while (body.rows.length > MAX_EVENT_ROWS) body.deleteRow(body.rows.length - 1);
  }

  // ---------- stream ----------
  function setConn(text, on) {
    const c = $("conn-status");
    c.textContent = "stream: " + text;
    c.className = "badge " + (on ? "on" : "off");
  }
  function handleMessage(block) {
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
    }
    if (!data) return; // keep-alive comment
    let u;
    try { u = JSON.parse(data); } catch (_) { return; }
    if (u.type === "event") {
      if (u.seq >= state.nextSeq) {
        addEvent(u.seq, u.event);
        state.nextSeq = u.seq + 1;
      }
    } else if (u.type === "snapshot") {
      renderSnapshot(u.snapshot);
    }
  }
  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, 2000);
  }
  async function connect() {
    if (state.streamAbort) state.streamAbort.abort();
    if (!token()) { setConn("no token", false); return; }
    const ctl = new AbortController();
    state.streamAbort = ctl;
    try {
      const resp = await fetch("/live/stream?from=" + state.nextSeq, { headers: authHeaders(), signal: ctl.signal });
      if (!resp.ok) {
        let b = null;
        try { b = await resp.json(); } catch (_) { b = null; }
        setConn(errorText(resp.status, b), false);
        if (resp.status !== 401) scheduleReconnect();
        return;
      }
      setConn("live", true);
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          handleMessage(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
      setConn("reconnecting", false);
      scheduleReconnect();
    } catch (e) {
      if (ctl.signal.aborted) return;
      setConn("reconnecting", false);
      scheduleReconnect();
    }
  }

  // ---------- downloads ----------
  async function download(path, fallbackName) {
    say("downloading…");
    try {
      const resp = await fetch(path, { headers: authHeaders() });
      if (!resp.ok) {
        let b = null;
        try { b = await resp.json(); } catch (_) { b = null; }
        throw new Error(errorText(resp.status, b));
      }
      const cd = resp.headers.get("Content-Disposition") || "";
      const m = /filename="([^"]+)"/.exec(cd);
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = m ? m[1] : fallbackName;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say("saved " + a.download, "ok");
    } catch (e) {
      say("download failed — " + e.message, "error");
    }
  }

  // ---------- the form, filled from the running session's parameters ----------
  function setField(id, v) {
    if (v === undefined || v === null || !$(id)) return;
    $(id).value = String(v);
  }
  async function loadParams() {
    if (!token()) return;
    let p;
    try { p = await api("GET", "/live/params"); } catch (_) { return; }
    if (p.mode) setField("mode", p.mode);
    if (Array.isArray(p.segments)) {
      for (const s of SEGMENTS) $("seg-" + s).checked = p.segments.includes(s);
    }
    // A strategy without a single timeframe (seed 001's set) or without an RSI (not
    // rsi_crossover) gets these fields disabled and left out of the start request.
    for (const [id, v] of [["timeframe", p.timeframe], ["rsi-period", p.rsi_period]]) {
      const none = v === undefined || v === null;
      $(id).disabled = none;
      if (none && $(id).tagName === "INPUT") $(id).value = "";
      setField(id, v);
    }
    setField("capital", p.capital);
    setField("sl-points", p.sl_points);
    setField("tsl-points", p.trailing_stop_points);
    setField("itm-offset", p.itm_offset);
    if (typeof p.pyramiding === "boolean") $("pyramiding").checked = p.pyramiding;
    for (const [s, q] of Object.entries(p.pyramid || {})) {
      setField("pyramid-" + s, q.pyramid_points);
      setField("lotadd-" + s, q.lot_addition);
      setField("maxqty-" + s, q.max_quantity);
    }
    const r = p.risk || {};
    setField("max-trades", r.max_trades_per_segment);
    setField("max-daily-loss", r.max_daily_loss);
    if (r.entry_window_start) setField("window-start", r.entry_window_start.slice(0, 5));
    if (r.entry_window_end) setField("window-end", r.entry_window_end.slice(0, 5));
  }

  // ---------- initial load ----------
  async function refreshStatus() {
    try {
      const resp = await fetch("/live/status");
      const s = await resp.json();
      renderSnapshot(s.running || s.segments ? s : null, s.health);
    } catch (_) { /* the stream will bring it */ }
    if (!token()) return;
    try {
      const a = await api("GET", "/live/auth/status");
      $("auth-status").textContent = a.authenticated ? "Kite: logged in" + (a.user_id ? " (" + a.user_id + ")" : "") : "Kite: not logged in" + (a.message ? " — " + a.message : "");
    } catch (e) {
      $("auth-status").textContent = "Kite: " + e.message;
    }
  }

  function wire() {
    $("token").value = localStorage.getItem(TOKEN_KEY) || "";
    $("btn-save-token").addEventListener("click", () => {
      localStorage.setItem(TOKEN_KEY, token());
      say("token saved in this browser", "ok");
      state.nextSeq = 0;
      $("events-table").tBodies[0].replaceChildren();
      refreshStatus();
      loadParams();
      connect();
    });
    $("btn-login").addEventListener("click", async () => {
      try {
        const r = await api("GET", "/live/auth/login-url");
        window.open(r.login_url, "_blank", "noopener");
        say("Kite login opened in a new tab; it redirects back here when done", "ok");
      } catch (e) {
        say("login URL failed — " + e.message, "error");
      }
    });
    const syncLive = () => { $("confirm-live-label").style.display = val("mode") === "live" ? "" : "none"; };
    $("mode").addEventListener("change", syncLive);
    syncLive();
    $("btn-start").addEventListener("click", () => {
      const req = startRequest();
      // No index checked is a scanner start (its [universe]); the server says when the
      // configuration has none.
      if (req.mode === "live" && !req.confirm_live) { say("tick the LIVE confirmation to trade real money", "error"); return; }
      act("start", "POST", "/live/start-trading", req);
    });
    $("btn-stop").addEventListener("click", () => act("stop", "POST", "/live/stop-trading", { close_all: $("stop-close-all").checked }));
    $("btn-pause").addEventListener("click", () => act("pause", "POST", "/live/pause"));
    $("btn-resume").addEventListener("click", () => act("resume", "POST", "/live/resume"));
    $("btn-close-all").addEventListener("click", () => {
      if (window.confirm("Close every open position now?")) act("close all", "POST", "/live/close-all");
    });
    $("btn-dl-trades").addEventListener("click", () => download("/live/trades.csv", "live_trades.csv"));
    $("btn-dl-events").addEventListener("click", () => download("/live/events.csv", "live_events.csv"));
    $("btn-dl-xlsx").addEventListener("click", () => download("/live/report.xlsx", "live_report.xlsx"));
    renderSnapshot(null);
    refreshStatus();
    loadParams();
    connect();
  }

  document.addEventListener("DOMContentLoaded", wire);
})();
