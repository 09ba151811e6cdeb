// The manager console (/console): a hall manager signs in with their staff account and sees
// the live hall, kiosks and devices, alerts, reports with charts and export, supervision
// (电子监察) and the configuration with its versions. Everything comes from /api/v1 with the
// manager's session token; the live pages follow the event stream.
"use strict";
(() => {
  const { t, esc, api } = hallq;
  const $ = (id) => document.getElementById(id);
  const KEY = "hallq.console.token";
  let tok = sessionStorage.getItem(KEY) || "";
  let state = null;
  let names = { item: {}, queue: {}, department: {}, window: {} };
  let configVersion = 0;
  let hallDay = null;
  let alerts = null;
  let section = "live";
  const loaded = {};

  // ---- texts --------------------------------------------------------------------------
  const RATINGS = [["非常满意", "Very satisfied"], ["满意", "Satisfied"], ["基本满意", "Fairly satisfied"], ["不满意", "Dissatisfied"], ["非常不满意", "Very dissatisfied"]];
  const RATING_KEYS = ["very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied"];
  const ratingText = (r) => { const i = RATING_KEYS.indexOf(r); return i < 0 ? r : t(...RATINGS[i]); };
  const BY = [["item", "事项", "Item"], ["queue", "队列", "Queue"], ["window", "窗口", "Window"], ["department", "部门", "Department"], ["staff", "工作人员", "Staff member"], ["day", "日期", "Day"]];
  const KIND = { call: ["指定呼叫", "Specific call"], transfer: ["转办", "Transfer"], requeue: ["过号重排", "Requeue"], pause: ["暂停", "Pause"] };
  const HISTORY = { issued: ["取号", "Issued"], called: ["呼叫", "Called"], recalled: ["重呼", "Recalled"], started: ["开始办理", "Started"], finished: ["办结", "Finished"],
    no_show: ["过号", "No-show"], requeued: ["重新排队", "Requeued"], transferred: ["转办", "Transferred"], rated: ["评价", "Rated"], rating_requested: ["请求评价", "Rating asked"],
    checked_in: ["预约签到", "Checked in"], expired: ["作废", "Expired"] };
  const STATUS = { waiting: ["等候中", "Waiting"], called: ["已呼叫", "Called"], serving: ["办理中", "Being served"], finished: ["已办结", "Finished"],
    no_show: ["过号", "No-show"], expired: ["已作废", "Expired"], transferred: ["已转办", "Transferred"] };
  const DEVICE = { "ticket-printer": ["取号打印机", "Ticket printer"], "idcard-reader": ["身份证读卡器", "ID-card reader"], "a4-printer": ["A4 打印机", "A4 printer"], scanner: ["扫描仪", "Scanner"] };
  const actorText = (a) => {
    if (!a) return "";
    switch (a.kind) {
      case "staff": return t("工号 ", "staff ") + a.number;
      case "token": return t("令牌 ", "token ") + a.name;
      case "visitor": return t("群众", "visitor");
      case "system": return t("系统", "system");
      case "unrecorded": return t("未记录", "not recorded");
      default: return JSON.stringify(a);
    }
  };
  const hm = (iso) => (iso ? iso.slice(11, 16) : "");
  const dt = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");
  const mins = (secs) => (secs == null ? "—" : (secs / 60).toFixed(1));
  const since = (iso, nowIso) => (iso && nowIso ? Math.max(0, Math.floor((Date.parse(nowIso) - Date.parse(iso)) / 60000)) : null);

  function applyTexts() {
    document.documentElement.lang = hallq.lang === "en" ? "en" : "zh-CN";
    document.title = t("管理控制台", "Manager console") + " · hallq";
    const set = (id, zh, en) => { const e = $(id); if (e) e.textContent = t(zh, en); };
    set("t-title", "管理控制台", "Manager console");
    set("langBtn", "English", "中文");
    set("signoutBtn", "退出", "Sign out");
    set("homeLink", "首页", "Home");
    const names = { live: ["实时大厅", "Live hall"], devices: ["自助机与设备", "Kiosks and devices"], alerts: ["告警", "Alerts"], reports: ["统计报表", "Reports"],
      supervision: ["电子监察", "Supervision"], config: ["配置", "Configuration"] };
    for (const a of document.querySelectorAll("#nav a[data-s]")) a.firstChild.textContent = t(...names[a.dataset.s]);
    set("deskLink", "导引台 ↗", "Service desk ↗");
    set("t-queues", "队列", "Queues"); set("t-windows", "窗口", "Windows"); set("t-floor", "楼层", "Floor");
    set("t-kiosks", "自助机", "Kiosks"); set("t-devs", "设备", "Devices"); set("t-displays", "显示屏", "Displays");
    set("t-active", "当前告警", "Active alerts"); set("t-deliveries", "告警推送记录", "Webhook deliveries");
    set("t-period", "期间", "Period"); set("t-from", "从", "From"); set("t-to", "至", "To"); set("t-by", "按", "By");
    set("repGo", "查询", "Show"); set("repCsv", "导出 CSV", "Export CSV"); set("repXlsx", "导出 Excel", "Export Excel");
    set("t-charts", "图表", "Charts"); set("t-scope", "范围", "Scope"); set("t-dissatisfied", "不满意评价", "Dissatisfied ratings");
    set("t-sfrom", "从", "From"); set("t-sto", "至", "To"); set("t-swindow", "窗口", "Window"); set("t-sstaff", "工号", "Staff no."); set("supGo", "查询", "Show");
    set("t-bywindow", "按窗口", "By window"); set("t-bystaff", "按工作人员", "By staff member"); set("t-actions", "监察记录", "Supervised actions");
    set("t-editor", "大厅配置", "Hall configuration"); set("cfgSave", "保存并生效", "Save and apply"); set("cfgReload", "放弃修改", "Discard changes");
    set("t-preview", "号票预览", "Ticket preview"); set("t-preview-note", "按编辑中的配置，用打印模拟器画出一张示例号票。", "A sample ticket under the configuration being edited, drawn by the printer simulator.");
    set("t-versions", "版本", "Versions"); set("t-diff", "版本差异", "Differences"); set("diffGo", "比较", "Compare"); set("tkClose", "关闭", "Close");
    const p = $("repPeriod").options;
    [["日", "Day"], ["周", "Week"], ["月", "Month"], ["自定义", "Range"]].forEach((x, i) => (p[i].textContent = t(...x)));
    $("repBy").innerHTML = BY.map(([v, zh, en]) => `<option value="${v}">${esc(t(zh, en))}</option>`).join("");
  }

  // ---- sign-in ------------------------------------------------------------------------
  function showSignin(msg) {
    $("app").hidden = true; $("signin").hidden = false; $("signoutBtn").hidden = true; $("who").textContent = "";
    $("signinMsg").textContent = msg || "";
    $("staffInput").focus();
  }

  async function start() {
    if (!tok) return showSignin("");
    let me;
    try { me = await api(tok, "GET", "/me"); } catch (e) {
      if (e.status === 401) { sessionStorage.removeItem(KEY); tok = ""; }
      return showSignin(e.status === 401 ? t("登录已过期，请重新登录。", "Your session has ended; sign in again.") : e.message);
    }
    if (me.role !== "manager") {
      await api(tok, "POST", "/logout").catch(() => {});
      sessionStorage.removeItem(KEY); tok = "";
      return showSignin(t("此账号不是管理员账号，不能使用管理控制台。", "This account is not a manager's; the console is for hall managers."));
    }
    $("who").textContent = me.name;
    $("signin").hidden = true; $("app").hidden = false; $("signoutBtn").hidden = false;
    hallq.follow("token=" + encodeURIComponent(tok), (e) => { scheduleRefresh(); if (e.type === "config_changed") loadNames(); }, (up) => $("conn").classList.toggle("down", !up));
    await Promise.all([refreshState(), loadNames()]);
    refreshAlerts();
    setInterval(refreshAlerts, 5000);
    setInterval(() => { if (section === "live" || section === "devices") refreshState(); }, 15000);
    route();
  }

  async function signIn() {
    $("signinMsg").textContent = "";
    try {
      const s = await api("", "POST", "/login", { staff_id: $("staffInput").value.trim(), password: $("passwordInput").value });
      tok = s.token; sessionStorage.setItem(KEY, tok);
      $("passwordInput").value = "";
      start();
    } catch (e) { $("signinMsg").textContent = e.message; $("passwordInput").value = ""; $("passwordInput").focus(); }
  }

  // ---- live hall ----------------------------------------------------------------------
  let refreshTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refreshState(); }, 400);
  }

  // Names of items, queues, departments and windows for the reports (which key by id).
  async function loadNames() {
    let c;
    try { c = await api(tok, "GET", "/catalog"); } catch (e) { return; }
    const n = { item: {}, queue: {}, department: {}, window: {} };
    for (const s of c.services) n.item[s.id] = t(s.name, s.name_en);
    for (const q of c.queues) n.queue[q.id] = t(q.name, q.name_en);
    for (const d of c.departments) n.department[d.id] = t(d.name, d.name_en);
    for (const w of c.windows) n.window[w.number] = w.name;
    names = n;
    configVersion = c.config_version;
    renderDevices();
  }
  const keyName = (by, key) => {
    if (by === "window") return t(`${key}号窗口`, `Window ${key}`) + (names.window[key] ? " " + names.window[key] : "");
    const n = (names[by] || {})[key];
    return n ? `${n}（${key}）` : key;
  };

  async function refreshState() {
    try { state = await api(tok, "GET", "/state"); } catch (e) { if (e.status === 401) return showSignin(t("登录已过期，请重新登录。", "Your session has ended; sign in again.")); return; }
    $("hallName").textContent = t(state.hall.name, state.hall.name_en || state.hall.name) + " · " + dt(state.now);
    // Reports and supervision start at the hall's day (its clock, not this computer's).
    if (!hallDay && state.now) {
      hallDay = state.now.slice(0, 10);
      for (const id of ["repFrom", "repTo", "supFrom", "supTo"]) $(id).value = hallDay;
    }
    renderLive(); renderDevices();
  }

  function windowState(w) {
    if (!w.open) return ["closed", t("未开窗", "Closed")];
    if (w.paused) return ["paused", t("暂停", "Paused")];
    if (w.current && w.current.status === "serving") return ["serving", t("办理中", "Serving")];
    if (w.current && w.current.status === "called") return ["calling", t("呼叫中", "Calling")];
    return ["idle", t("空闲", "Free")];
  }

  function renderLive() {
    if (!state) return;
    $("queues").innerHTML = `<tr><th>${t("队列", "Queue")}</th><th>${t("号头", "Prefix")}</th><th class="num">${t("等候人数", "Waiting")}</th><th class="num">${t("最长等候（分）", "Longest wait (min)")}</th><th class="num">${t("预计等候（分）", "Estimate (min)")}</th><th class="num">${t("今日取号", "Issued today")}</th></tr>` +
      state.queues.map((q) => `<tr data-queue="${esc(q.id)}"><td>${esc(t(q.name, q.name_en))}</td><td>${esc(q.prefix)}</td><td class="num">${q.waiting}</td><td class="num">${q.longest_wait_minutes ?? "—"}</td><td class="num">${q.estimate_minutes}</td><td class="num">${q.issued_today ?? ""}</td></tr>`).join("");
    const floors = [...new Set(state.windows.map((w) => w.floor).filter((f) => f != null))].sort((a, b) => a - b);
    const sel = $("floorSel"), keep = sel.value;
    sel.innerHTML = `<option value="">${t("全部", "All")}</option>` + floors.map((f) => `<option value="${f}">${f}${t("楼", "F")}</option>`).join("");
    sel.value = keep;
    const shown = state.windows.filter((w) => !sel.value || String(w.floor) === sel.value);
    const count = (k) => state.windows.filter((w) => windowState(w)[0] === k).length;
    $("liveSummary").textContent = t(`办理中 ${count("serving")} · 呼叫中 ${count("calling")} · 空闲 ${count("idle")} · 暂停 ${count("paused")} · 未开窗 ${count("closed")}`,
      `serving ${count("serving")} · calling ${count("calling")} · free ${count("idle")} · paused ${count("paused")} · closed ${count("closed")}`);
    $("windows").innerHTML = `<tr><th class="num">${t("窗口", "Window")}</th><th>${t("楼层", "Floor")}</th><th>${t("名称", "Name")}</th><th>${t("状态", "State")}</th><th>${t("工作人员", "Staff")}</th><th>${t("当前号", "Number")}</th><th>${t("事项", "Item")}</th><th class="num">${t("时长（分）", "Minutes")}</th><th>${t("原因", "Reason")}</th><th class="num">${t("今日办结", "Served today")}</th></tr>` +
      shown.map((w) => {
        const [k, label] = windowState(w);
        const c = w.current;
        const m = k === "paused" ? since(w.paused_since, state.now) : c ? since(c.started_at || c.called_at, state.now) : null;
        return `<tr class="${k}" data-window="${w.number.valueOf()}"><td class="num">${w.number}</td><td>${w.floor ?? ""}</td><td>${esc(w.name || "")}</td><td><span class="tag ${k}">${label}</span></td>` +
          `<td>${esc(w.staff || "")}</td><td>${c ? `<a class="tk" data-ticket="${esc(c.id)}">${esc(c.number)}</a>` + (c.recalls ? ` <span class="muted2">${t("重呼", "recalled")}×${c.recalls}</span>` : "") : ""}</td>` +
          `<td>${c ? esc(t(c.service, c.service_en)) : ""}</td><td class="num">${m ?? ""}</td><td>${esc(w.pause_reason || "")}</td><td class="num">${w.served_today}</td></tr>`;
      }).join("");
  }

  // ---- kiosks and devices -------------------------------------------------------------
  function renderDevices() {
    if (!state) return;
    const ks = state.kiosks || [];
    $("kiosks").innerHTML = ks.length ? `<tr><th>${t("自助机", "Kiosk")}</th><th>${t("连接", "Link")}</th><th>${t("最后心跳", "Last heard")}</th><th>${t("配置版本", "Config version")}</th><th>${t("离线号段（剩余）", "Offline leases (left)")}</th><th class="num">${t("今日离线取号上传", "Offline tickets uploaded today")}</th></tr>` +
      ks.map((k) => `<tr data-kiosk="${esc(k.kiosk)}"><td>${esc(k.kiosk)}</td><td>${k.offline ? `<span class="tag bad">${t("离线", "Offline")}</span>` : `<span class="tag ok">${t("在线", "Online")}</span>`}</td>` +
        `<td>${esc(dt(k.last_seen) || t("服务启动后未联系", "not since the service started"))}</td><td>${k.config_version == null ? "—" : `v${k.config_version}` + (configVersion && k.config_version < configVersion ? ` <span class="tag warning">${t("未更新", "behind")}</span>` : "")}</td><td>${k.leases.map((l) => `${esc(l.prefix)}${l.from}–${l.to} (${l.left})`).join("，") || "—"}</td><td class="num">${k.uploaded_today}</td></tr>`).join("")
      : `<tr><td class="none">${t("还没有自助机连接过。", "No kiosk has connected yet.")}</td></tr>`;
    const ds = state.devices || [];
    $("devices").innerHTML = ds.length ? `<tr><th>${t("自助机", "Kiosk")}</th><th>${t("设备", "Device")}</th><th>${t("状态", "State")}</th><th>${t("故障", "Fault")}</th></tr>` +
      ds.map((d) => `<tr data-device="${esc(d.kiosk + "/" + d.device)}"><td>${esc(d.kiosk)}</td><td>${esc(DEVICE[d.device] ? t(...DEVICE[d.device]) : d.device)}</td><td>${d.ok ? `<span class="tag ok">${t("正常", "OK")}</span>` : `<span class="tag bad">${t("故障", "Fault")}</span>`}</td><td>${esc(d.fault || "")}</td></tr>`).join("")
      : `<tr><td class="none">${t("还没有设备报告状态。", "No device has reported yet.")}</td></tr>`;
    const dp = state.displays || [];
    $("displays").innerHTML = dp.length ? `<tr><th>${t("显示屏令牌", "Display token")}</th><th>${t("状态", "State")}</th><th class="num">${t("连接数", "Streams")}</th><th>${t("连接时间", "Connected")}</th><th>${t("最后通信", "Last heard")}</th><th>${t("断开时间", "Disconnected")}</th></tr>` +
      dp.map((d) => `<tr data-display="${esc(d.display)}"><td>${esc(d.display)}</td><td>${d.silent ? `<span class="tag bad">${t("无信号", "Silent")}</span>` : d.connections ? `<span class="tag ok">${t("在线", "Connected")}</span>` : `<span class="tag closed">${t("未连接", "Not connected")}</span>`}</td>` +
        `<td class="num">${d.connections}</td><td>${esc(dt(d.connected_at))}</td><td>${esc(dt(d.last_heard))}</td><td>${esc(dt(d.disconnected_at))}</td></tr>`).join("")
      : `<tr><td class="none">${t("配置中没有显示屏令牌。", "No display token in the configuration.")}</td></tr>`;
  }

  // ---- alerts -------------------------------------------------------------------------
  function alertHtml(a) {
    return `<div class="alert ${a.severity}" data-alert="${esc(a.id)}"><span class="tag ${a.severity}">${a.severity === "critical" ? t("严重", "Critical") : t("警告", "Warning")}</span> ` +
      `${esc(t(a.message, a.message_en))}<span class="since">${t("自", "since")} ${esc(hm(a.since))}</span></div>`;
  }

  async function refreshAlerts() {
    try { alerts = await api(tok, "GET", "/alerts"); } catch (e) { return; }
    const n = alerts.active.length;
    $("alertCount").hidden = n === 0; $("alertCount").textContent = n;
    $("liveAlerts").innerHTML = alerts.active.map(alertHtml).join("");
    $("alertList").innerHTML = n ? alerts.active.map(alertHtml).join("") : `<div class="none">${t("当前没有告警。", "No alert now.")}</div>`;
    $("webhookState").textContent = alerts.webhook ? t("告警会推送到配置的 Webhook 地址。", "Alerts are POSTed to the configured webhook.")
      : t("未配置 Webhook（[alerts] webhook_url），告警只在此显示。", "No webhook configured ([alerts] webhook_url): alerts are shown here only.");
    const OUT = { delivered: ["已送达", "Delivered"], retrying: ["将重试", "Retrying"], gave_up: ["已放弃", "Gave up"] };
    $("deliveries").innerHTML = alerts.deliveries.length ? `<tr><th>${t("时间", "Time")}</th><th>${t("告警", "Alert")}</th><th>${t("变化", "Change")}</th><th class="num">${t("第几次", "Attempt")}</th><th>${t("结果", "Outcome")}</th><th>${t("HTTP 状态或错误", "HTTP status or error")}</th></tr>` +
      alerts.deliveries.map((d) => `<tr><td>${esc(dt(d.at))}</td><td class="mono">${esc(d.alert)}</td><td>${d.change === "raised" ? t("发出", "Raised") : t("解除", "Cleared")}</td><td class="num">${d.attempt}</td>` +
        `<td>${esc(OUT[d.outcome] ? t(...OUT[d.outcome]) : d.outcome)}</td><td>${esc(d.status ?? d.error ?? "")}${d.retry_in_secs ? esc(t(`，${d.retry_in_secs} 秒后重试`, `, retry in ${d.retry_in_secs} s`)) : ""}</td></tr>`).join("")
      : `<tr><td class="none">${t("还没有推送。", "Nothing sent yet.")}</td></tr>`;
  }

  // ---- reports ------------------------------------------------------------------------
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  function period() {
    const kind = $("repPeriod").value;
    const from = new Date($("repFrom").value + "T00:00:00");
    if (kind === "day") return [iso(from), iso(from)];
    if (kind === "week") { const m = new Date(from); m.setDate(m.getDate() - ((m.getDay() + 6) % 7)); const e = new Date(m); e.setDate(e.getDate() + 6); return [iso(m), iso(e)]; }
    if (kind === "month") { const m = new Date(from.getFullYear(), from.getMonth(), 1); const e = new Date(from.getFullYear(), from.getMonth() + 1, 0); return [iso(m), iso(e)]; }
    return [$("repFrom").value, $("repTo").value || $("repFrom").value];
  }
  let charts = null;
  let chartData = null;

  async function loadEcharts() {
    if (window.echarts) return;
    await new Promise((ok, no) => { const s = document.createElement("script"); s.src = "/static/echarts.min.js"; s.onload = ok; s.onerror = no; document.head.appendChild(s); });
  }

  async function showReport() {
    $("repErr").innerHTML = "";
    const [from, to] = period();
    const by = $("repBy").value;
    let r;
    try { r = await api(tok, "GET", `/reports?from=${from}&to=${to}&by=${by}`); } catch (e) { $("repErr").innerHTML = `<div class="err">${esc(e.message)}</div>`; return; }
    $("repInfo").textContent = `${from} — ${to}`;
    const byName = BY.find((b) => b[0] === by);
    $("report").innerHTML = `<tr><th>${esc(t(byName[1], byName[2]))}</th><th class="num">${t("取号", "Tickets")}</th><th class="num">${t("办结", "Served")}</th><th class="num">${t("平均等候（分）", "Wait mean (min)")}</th><th class="num">${t("等候 P90（分）", "Wait p90 (min)")}</th>` +
      `<th class="num">${t("平均办理（分）", "Service mean (min)")}</th><th class="num">${t("办理 P90（分）", "Service p90 (min)")}</th><th class="num">${t("过号", "No-shows")}</th><th class="num">${t("转办", "Transfers")}</th><th class="num">${t("非顺序呼叫", "Out of order")}</th>` +
      RATINGS.map((x) => `<th class="num">${esc(t(...x))}</th>`).join("") + `</tr>` +
      (r.rows.length ? r.rows.map((row) => `<tr><td>${esc(keyName(by, row.key))}</td><td class="num">${row.tickets}</td><td class="num">${row.served}</td><td class="num">${mins(row.wait_mean_secs)}</td><td class="num">${mins(row.wait_p90_secs)}</td>` +
        `<td class="num">${mins(row.service_mean_secs)}</td><td class="num">${mins(row.service_p90_secs)}</td><td class="num">${row.no_shows}</td><td class="num">${row.transfers}</td><td class="num">${row.out_of_order}</td>` +
        row.ratings.map((n) => `<td class="num">${n}</td>`).join("") + `</tr>`).join("") : `<tr><td class="none" colspan="15">${t("此期间没有数据。", "Nothing in this period.")}</td></tr>`);
    $("dissatisfied").innerHTML = r.dissatisfied.length ? `<tr><th>${t("日期", "Date")}</th><th>${t("号码", "Number")}</th><th>${t("事项", "Item")}</th><th class="num">${t("窗口", "Window")}</th><th>${t("工号", "Staff no.")}</th><th>${t("评价", "Rating")}</th></tr>` +
      r.dissatisfied.map((d) => `<tr><td>${esc(d.date)}</td><td><a class="tk" data-ticket="${esc(d.ticket)}">${esc(d.number)}</a></td><td>${esc(keyName("item", d.service))}</td><td class="num">${d.window ?? ""}</td><td>${esc(d.staff || "")}</td><td>${esc(ratingText(d.rating))}</td></tr>`).join("")
      : `<tr><td class="none">${t("此期间没有不满意评价。", "No dissatisfied rating in this period.")}</td></tr>`;
    try {
      chartData = await api(tok, "GET", `/reports/charts?from=${from}&to=${to}`);
      await loadEcharts();
      const scope = $("chartScope"), keep = scope.value;
      scope.innerHTML = `<option value="total">${t("全大厅", "Whole hall")}</option>` +
        chartData.departments.map((g) => `<option value="d:${esc(g.key)}">${esc(g.name || g.key)}</option>`).join("") +
        chartData.windows.map((g) => `<option value="w:${esc(g.key)}">${esc(t(g.key + "号窗口", "Window " + g.key))}${g.name ? " " + esc(g.name) : ""}</option>`).join("");
      if ([...scope.options].some((o) => o.value === keep)) scope.value = keep;
      drawCharts();
    } catch (e) { $("repErr").innerHTML = `<div class="err">${esc(t("图表无法显示：", "Charts cannot be shown: ") + e.message)}</div>`; }
  }

  function drawCharts() {
    if (!chartData || !window.echarts) return;
    const v = $("chartScope").value;
    const g = v === "total" ? { series: chartData.total } : v.startsWith("d:") ? chartData.departments.find((x) => "d:" + x.key === v) : chartData.windows.find((x) => "w:" + x.key === v);
    if (!g) return;
    const s = g.series;
    if (!charts) charts = ["chartHours", "chartWaits", "chartRatings"].map((id) => echarts.init($(id)));
    // Every colour from the theme (:root of hallq.css): the text on --chart-bg, held to
    // WCAG contrast by tests/contrast.rs, and the series, which carry no text.
    const css = getComputedStyle(document.documentElement);
    const theme = (name) => css.getPropertyValue(name).trim();
    const ink = theme("--chart-fg"), axisInk = theme("--chart-fg-axis");
    const font = { fontFamily: "Noto Sans CJK SC, sans-serif", color: ink };
    const title = (text) => ({ text, left: "center", textStyle: { color: theme("--chart-fg-title") } });
    const tooltip = { backgroundColor: theme("--chart-bg"), borderColor: theme("--rule-light"), textStyle: { color: ink } };
    const axis = (o) => ({ ...o, axisLabel: { color: axisInk }, nameTextStyle: { color: axisInk } });
    const b = chartData.wait_buckets_min;
    const waitLabels = b.map((x, i) => (i + 1 < b.length ? `${x}–${b[i + 1]}` : `${x}+`));
    charts[0].setOption({ textStyle: font, title: title(t("每小时取号", "Tickets per hour")), tooltip, grid: { left: 48, right: 16, bottom: 36 },
      xAxis: axis({ type: "category", data: [...Array(24).keys()].map((h) => `${h}`), name: t("时", "h") }), yAxis: axis({ type: "value", minInterval: 1 }),
      series: [{ type: "bar", data: s.issued_by_hour, itemStyle: { color: theme("--chart-issued") } }], animation: false }, true);
    charts[1].setOption({ textStyle: font, title: title(t("等候时长分布（分钟）", "Wait distribution (minutes)")), tooltip, grid: { left: 48, right: 16, bottom: 36 },
      xAxis: axis({ type: "category", data: waitLabels }), yAxis: axis({ type: "value", minInterval: 1 }),
      series: [{ type: "bar", data: s.waits, itemStyle: { color: theme("--chart-waits") } }], animation: false }, true);
    const colors = ["--chart-rate5", "--chart-rate4", "--chart-rate3", "--chart-rate2", "--chart-rate1"].map(theme);
    charts[2].setOption({ textStyle: font, title: title(t("评价", "Ratings")), tooltip: { ...tooltip, trigger: "item" }, legend: { bottom: 0, textStyle: { color: ink } },
      graphic: s.ratings.some((n) => n > 0) ? [] : [{ type: "text", left: "center", top: "middle", style: { text: t("暂无评价", "No ratings"), fontSize: 16, fill: theme("--chart-fg-muted") } }],
      // A level nobody chose gets no label (its 0 would sit on the title).
      series: [{ type: "pie", radius: ["35%", "62%"], stillShowZeroSum: false, emptyCircleStyle: { color: theme("--rule-faint") }, itemStyle: { borderColor: theme("--chart-bg"), borderWidth: 2 },
        data: s.ratings.filter((n) => n > 0).length === 0 ? [] : s.ratings.map((n, i) => ({ value: n, name: t(...RATINGS[i]), itemStyle: { color: colors[i] }, ...(n > 0 ? {} : { label: { show: false }, labelLine: { show: false } }) })),
        label: { formatter: "{b}: {c}", color: ink } }], animation: false }, true);
  }

  async function exportReport(format) {
    const [from, to] = period();
    const by = $("repBy").value;
    const path = `/api/v1/reports/export?format=${format}&from=${from}&to=${to}&by=${by}&lang=${hallq.lang}`;
    const r = await fetch(path, { headers: { Authorization: "Bearer " + tok } });
    if (!r.ok) { const e = await r.json().catch(() => ({})); $("repErr").innerHTML = `<div class="err">${esc((e.error || {}).message || "HTTP " + r.status)}</div>`; return; }
    const name = (/filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "") || [])[1] || `hallq-report.${format}`;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob()); a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }

  // ---- supervision --------------------------------------------------------------------
  async function showSupervision() {
    $("supErr").innerHTML = "";
    const q = new URLSearchParams({ from: $("supFrom").value, to: $("supTo").value || $("supFrom").value });
    if ($("supWindow").value.trim()) q.set("window", $("supWindow").value.trim());
    if ($("supStaff").value.trim()) q.set("staff", $("supStaff").value.trim());
    let s;
    try { s = await api(tok, "GET", "/supervision?" + q); } catch (e) { $("supErr").innerHTML = `<div class="err">${esc(e.message)}</div>`; return; }
    $("supInfo").textContent = t(`${s.actions.length} 条`, `${s.actions.length} actions`) + (s.truncated ? t("（仅显示前 10000 条）", " (first 10,000 shown)") : "");
    const c = s.chain;
    const filed = c.filed ? (c.filed.problem ? `<span class="tag bad">${t("与已归档摘要不符", "Does not match the filed digest")}</span> ${esc(c.filed.problem)}` : `<span class="tag ok">${t("与已归档摘要一致", "Matches the filed digest")}</span> ${esc(c.filed.digest.date)}`)
      : t("数据目录中没有已归档的摘要（hallq log digest --keep）。", "No digest filed in the data directory (hallq log digest --keep).");
    $("chainBox").innerHTML = `<h3 style="margin-top:0">${t("事件链", "Event chain")}</h3><dl class="kv"><dt>${t("最新事件", "Newest event")}</dt><dd>#${c.last_seq}</dd>` +
      `<dt>${t("链头哈希", "Head hash")}</dt><dd class="mono">${esc(c.head_hash)}</dd>` +
      (c.last_day ? `<dt>${t("最近一日摘要", "Last day's digest")}</dt><dd>${esc(c.last_day.date)} · ${t("事件", "events")} ${c.last_day.events} · ${t("取号", "tickets")} ${c.last_day.tickets_issued} · <span class="mono">${esc(c.last_day.last_hash)}</span></dd>` : "") +
      `<dt>${t("归档核对", "Filed digest")}</dt><dd>${filed}</dd></dl>`;
    const countRows = (rows, label) => `<tr><th>${label}</th><th class="num">${t("指定呼叫", "Specific calls")}</th><th class="num">${t("非顺序", "Out of order")}</th><th class="num">${t("转办", "Transfers")}</th><th class="num">${t("过号重排", "Requeues")}</th><th class="num">${t("暂停", "Pauses")}</th><th class="num">${t("暂停（分）", "Paused (min)")}</th></tr>` +
      (rows.length ? rows.map((r) => `<tr><td>${esc(r.key)}</td><td class="num">${r.calls}</td><td class="num">${r.out_of_order}</td><td class="num">${r.transfers}</td><td class="num">${r.requeues}</td><td class="num">${r.pauses}</td><td class="num">${r.paused_minutes.toFixed(1)}</td></tr>`).join("") : `<tr><td class="none" colspan="7">${t("无", "None")}</td></tr>`);
    $("supByWindow").innerHTML = countRows(s.by_window, t("窗口", "Window"));
    $("supByStaff").innerHTML = countRows(s.by_staff, t("工号", "Staff no."));
    $("supActions").innerHTML = `<tr><th>${t("时间", "Time")}</th><th>${t("类别", "Kind")}</th><th class="num">${t("窗口", "Window")}</th><th>${t("操作人", "By")}</th><th>${t("号码", "Number")}</th><th>${t("原因或说明", "Reason or note")}</th></tr>` +
      (s.actions.length ? s.actions.map((a) => {
        const note = a.kind === "transfer" ? `${esc(a.from_service || "")} → ${esc(a.to_service || "")}` : a.kind === "pause" ? `${esc(a.reason || "")}${a.paused_minutes != null ? esc(t(`（${a.paused_minutes.toFixed(0)} 分钟）`, ` (${a.paused_minutes.toFixed(0)} min)`)) : esc(t("（未恢复）", " (not resumed)"))}` : esc(a.reason || "");
        const ooo = a.out_of_order ? ` <span class="tag warning">${t("越过", "passed over")} ${a.skipped}</span>` : "";
        return `<tr><td>${esc(dt(a.at))}</td><td>${esc(t(...(KIND[a.kind] || [a.kind, a.kind])))}${ooo}</td><td class="num">${a.window}</td><td>${esc(actorText(a.actor))}</td>` +
          `<td>${a.ticket ? `<a class="tk" data-ticket="${esc(a.ticket)}">${esc(a.number || a.ticket)}</a>` : ""}</td><td>${note}</td></tr>`;
      }).join("") : `<tr><td class="none" colspan="6">${t("此期间没有监察记录。", "Nothing to supervise in this period.")}</td></tr>`);
  }

  // ---- ticket history -----------------------------------------------------------------
  async function showTicket(id) {
    $("ticketModal").hidden = false; $("tkTitle").textContent = id; $("tkBody").innerHTML = "";
    let v;
    try { v = await api(tok, "GET", "/tickets/" + encodeURIComponent(id)); } catch (e) { $("tkBody").innerHTML = `<div class="err">${esc(e.message)}</div>`; return; }
    $("tkTitle").textContent = `${v.number} · ${t(v.service.name || v.service.id, v.service.name_en || v.service.name || v.service.id)}`;
    $("tkBody").innerHTML = `<dl class="kv"><dt>${t("日期", "Date")}</dt><dd>${esc(v.date)}</dd><dt>${t("状态", "Status")}</dt><dd>${esc(STATUS[v.status] ? t(...STATUS[v.status]) : v.status)}</dd><dt>${t("取号时间", "Issued")}</dt><dd>${esc(dt(v.issued_at))}</dd>` +
      (v.holder ? `<dt>${t("取号人", "Holder")}</dt><dd>${esc(v.holder.name)}</dd>` : "") + (v.rating ? `<dt>${t("评价", "Rating")}</dt><dd>${esc(ratingText(v.rating))}</dd>` : "") + `</dl>` +
      `<table><tr><th>${t("时间", "Time")}</th><th>${t("经过", "What")}</th><th class="num">${t("窗口", "Window")}</th><th>${t("操作人", "By")}</th><th>${t("说明", "Note")}</th></tr>` +
      (v.history || []).map((h) => `<tr><td>${esc(dt(h.at).slice(11) || h.at)}</td><td>${esc(HISTORY[h.what] ? t(...HISTORY[h.what]) : h.what)}</td><td class="num">${h.window ?? ""}</td><td>${esc(actorText(h.by))}</td><td>${esc(h.note || "")}</td></tr>`).join("") + `</table>`;
  }

  // ---- configuration ------------------------------------------------------------------
  let cfg = null;
  async function loadConfig() {
    $("cfgMsg").innerHTML = "";
    try { cfg = await api(tok, "GET", "/config"); } catch (e) { $("cfgMsg").innerHTML = `<div class="err">${esc(e.message)}</div>`; return; }
    $("cfgVersion").textContent = t(`当前版本 v${cfg.version}`, `version v${cfg.version} in force`);
    $("editor").value = cfg.toml || "";
    $("editor").disabled = cfg.toml == null;
    $("cfgSave").disabled = cfg.toml == null;
    if (cfg.toml != null) preview();
    if (cfg.toml == null) $("cfgMsg").innerHTML = `<div class="err">${esc(t("服务以内置的演示配置启动，没有可编辑的配置文件版本。", "The service runs the built-in demo configuration: there is no saved version to edit."))}</div>`;
    await loadVersions();
  }

  async function loadVersions() {
    let list;
    try { list = await api(tok, "GET", "/config/versions"); } catch (e) { $("versions").innerHTML = `<tr><td class="err">${esc(e.message)}</td></tr>`; return; }
    $("versions").innerHTML = `<tr><th>${t("版本", "Version")}</th><th>${t("生效时间", "In force from")}</th><th>${t("操作人", "By")}</th><th></th></tr>` +
      list.versions.map((v) => `<tr data-version="${v.version}"><td>v${v.version}${v.in_force ? ` <span class="tag ok">${t("当前", "in force")}</span>` : ""}</td><td>${esc(dt(v.at))}</td>` +
        `<td>${esc(v.actor ? actorText(v.actor) : "")}${v.by ? `<div class="muted2">${esc(v.by)}</div>` : ""}</td>` +
        `<td>${v.in_force ? "" : `<button class="b warn rollback" data-v="${v.version}">${t("回滚到此版本", "Roll back to this")}</button>`}</td></tr>`).join("");
    const opts = list.versions.map((v) => `<option value="${v.version}">${v.version}</option>`).join("");
    $("diffFrom").innerHTML = opts; $("diffTo").innerHTML = opts;
    if (list.versions.length > 1) $("diffFrom").value = list.versions[1].version;
    if (list.versions.length) $("diffTo").value = list.versions[0].version;
    for (const b of document.querySelectorAll("button.rollback")) b.onclick = () => rollback(Number(b.dataset.v), list.in_force);
  }

  async function saveConfig() {
    $("cfgMsg").innerHTML = "";
    const r = await fetch("/api/v1/config", { method: "PUT", headers: { Authorization: "Bearer " + tok, "Content-Type": "application/toml", "If-Match": `"${cfg.version}"` }, body: $("editor").value });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = body.error || {};
      const where = e.field ? t(`字段 ${e.field}`, `field ${e.field}`) + (e.line ? t(`，第 ${e.line} 行`, `, line ${e.line}`) : "") : "";
      $("cfgMsg").innerHTML = `<div class="err" id="cfgErr">${where ? `<b>${esc(where)}</b>：` : ""}${esc(e.message || "HTTP " + r.status)}</div>`;
      if (e.line) selectLine(e.line);
      return;
    }
    $("cfgMsg").innerHTML = `<div class="okmsg">${esc(t(`已保存为 v${body.version} 并立即生效；自助机和显示屏会自动更新。`, `Saved as v${body.version} and in force now; kiosks and screens follow by themselves.`))}</div>`;
    const msg = $("cfgMsg").innerHTML;
    await loadConfig();
    $("cfgMsg").innerHTML = msg;
  }

  // The ticket as the text being edited would print it, redrawn shortly after each change.
  let previewTimer = null;
  let previewUrl = null;
  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 700); }
  async function preview() {
    const r = await fetch("/api/v1/config/ticket-preview", { method: "POST", headers: { Authorization: "Bearer " + tok, "Content-Type": "application/toml" }, body: $("editor").value }).catch(() => null);
    if (!r) return;
    if (!r.ok) {
      const e = (await r.json().catch(() => ({}))).error || {};
      $("previewErr").innerHTML = `<div class="err">${e.field ? `<b>${esc(e.field)}${e.line ? esc(t(`，第 ${e.line} 行`, `, line ${e.line}`)) : ""}</b>：` : ""}${esc(e.message || "HTTP " + r.status)}</div>`;
      return;
    }
    $("previewErr").innerHTML = "";
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(await r.blob());
    $("preview").src = previewUrl;
  }

  function selectLine(line) {
    const ed = $("editor"), lines = ed.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    ed.focus();
    ed.setSelectionRange(start, start + (lines[line - 1] || "").length);
    ed.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(ed).lineHeight));
  }

  async function rollback(version, inForce) {
    if (!confirm(t(`回滚到 v${version}？将保存为新版本并立即生效。`, `Roll back to v${version}? It is saved as a new version and in force at once.`))) return;
    try {
      const r = await api(tok, "POST", "/config/rollback", { version, expected: inForce });
      await loadConfig();
      $("cfgMsg").innerHTML = `<div class="okmsg">${esc(t(`已回滚到 v${version} 的内容，保存为 v${r.version}。`, `v${version}'s text is in force again as v${r.version}.`))}</div>`;
    } catch (e) { $("cfgMsg").innerHTML = `<div class="err">${esc(e.message)}</div>`; }
  }

  async function showDiff() {
    const from = $("diffFrom").value, to = $("diffTo").value;
    if (!from || !to) return;
    let d;
    try { d = await api(tok, "GET", `/config/diff?from=${from}&to=${to}`); } catch (e) { $("diff").textContent = e.message; return; }
    $("diffInfo").textContent = t(`新增 ${d.added} 行，删除 ${d.removed} 行`, `${d.added} added, ${d.removed} removed`);
    $("diff").innerHTML = d.diff ? d.diff.split("\n").map((l) => {
      const cls = l.startsWith("@@") ? "hunk" : l.startsWith("+") && !l.startsWith("+++") ? "add" : l.startsWith("-") && !l.startsWith("---") ? "del" : "";
      return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l) + "\n";
    }).join("") : esc(t("两个版本相同。", "The two versions are the same."));
  }

  // ---- navigation ---------------------------------------------------------------------
  function route() {
    section = (location.hash || "#live").slice(1);
    if (!$("s-" + section)) section = "live";
    for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "s-" + section;
    for (const a of document.querySelectorAll("#nav a[data-s]")) a.classList.toggle("on", a.dataset.s === section);
    if (loaded[section]) { if (section === "reports" && charts) charts.forEach((c) => c.resize()); return; }
    loaded[section] = true;
    if (section === "reports") showReport();
    if (section === "supervision") showSupervision();
    if (section === "config") loadConfig();
  }

  // ---- wiring -------------------------------------------------------------------------
  applyTexts();
  const today = iso(new Date());
  $("repFrom").value = today; $("repTo").value = today; $("supFrom").value = today; $("supTo").value = today;
  $("repToL").hidden = true;
  $("repPeriod").onchange = () => { $("repToL").hidden = $("repPeriod").value !== "range"; };
  $("repGo").onclick = showReport;
  $("repCsv").onclick = () => exportReport("csv");
  $("repXlsx").onclick = () => exportReport("xlsx");
  $("chartScope").onchange = drawCharts;
  $("supGo").onclick = showSupervision;
  $("cfgSave").onclick = saveConfig;
  $("cfgReload").onclick = loadConfig;
  $("diffGo").onclick = showDiff;
  $("editor").addEventListener("input", schedulePreview);
  $("floorSel").onchange = renderLive;
  $("signinBtn").onclick = signIn;
  $("passwordInput").onkeydown = (e) => { if (e.key === "Enter") signIn(); };
  $("staffInput").onkeydown = (e) => { if (e.key === "Enter") $("passwordInput").focus(); };
  $("signoutBtn").onclick = async () => { await api(tok, "POST", "/logout").catch(() => {}); sessionStorage.removeItem(KEY); tok = ""; location.hash = ""; location.reload(); };
  $("langBtn").onclick = () => { localStorage.setItem("hallq.lang", hallq.lang === "en" ? "zh" : "en"); const p = new URLSearchParams(location.search); p.delete("lang"); location.search = p.toString(); };
  $("tkClose").onclick = () => { $("ticketModal").hidden = true; };
  $("ticketModal").onclick = (e) => { if (e.target === $("ticketModal")) $("ticketModal").hidden = true; };
  document.addEventListener("click", (e) => { const a = e.target.closest("a.tk"); if (a) { e.preventDefault(); showTicket(a.dataset.ticket); } });
  window.addEventListener("hashchange", () => { if (!$("app").hidden) route(); });
  window.addEventListener("resize", () => { if (charts) charts.forEach((c) => c.resize()); });
  start();
})();
