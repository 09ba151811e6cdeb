// The service desk (/desk): staff sign in with their account, issue a ticket for any item
// (also those not on the kiosks, and for a visitor without a card) and reprint a lost one,
// both on the desk's own ticket printer, which the hall service drives.
"use strict";
(() => {
  const { t, esc, api } = hallq;
  const $ = (id) => document.getElementById(id);
  const KEY = "hallq.desk.token";
  let tok = sessionStorage.getItem(KEY) || "";
  let catalog = null;
  let chosen = null;

  function applyTexts() {
    document.documentElement.lang = hallq.lang === "en" ? "en" : "zh-CN";
    const set = (id, zh, en) => { const e = $(id); if (e) e.textContent = t(zh, en); };
    set("t-title", "导引台", "Service desk"); set("langBtn", "English", "中文"); set("signoutBtn", "退出", "Sign out");
    set("t-items", "选择事项", "Choose the item"); set("t-issue", "出号", "Issue a ticket");
    set("t-name", "姓名（需身份证的事项必填）", "Name (for items that need an ID card)"); set("t-idno", "身份证号码", "ID number");
    set("t-green", "绿色通道（老年人、残疾人、孕妇等）", "Green channel (elderly, disabled, pregnant…)");
    set("issueBtn", "出号并打印", "Issue and print"); set("t-reprint", "补打号票", "Reprint a ticket");
    set("t-number", "号码（今天的，如 B004）", "Number (today's, such as B004)"); set("reprintBtn", "补打", "Reprint");
    set("t-help", "帮办请求", "Visitors asking for help");
    $("search").placeholder = t("搜索事项名称", "Search items");
    if (!chosen) $("chosen").textContent = t("请先在左侧选择事项。", "Choose an item on the left first.");
  }

  function showSignin(msg) {
    $("app").hidden = true; $("signin").hidden = false; $("signoutBtn").hidden = true; $("deskSel").hidden = true;
    $("signinMsg").textContent = msg || "";
  }

  async function start() {
    if (!tok) return showSignin("");
    let me;
    try { me = await api(tok, "GET", "/me"); } catch (e) {
      sessionStorage.removeItem(KEY); tok = "";
      return showSignin(e.status === 401 ? t("登录已过期，请重新登录。", "Your session has ended; sign in again.") : e.message);
    }
    if (me.role !== "counter" && me.role !== "manager") return showSignin(t("此账号不能在导引台出号。", "This account cannot issue at the desk."));
    try { catalog = await api(tok, "GET", "/catalog"); } catch (e) { return showSignin(e.message); }
    if (!catalog.desks.length) return showSignin(t("大厅配置中没有导引台（[[desks]]），请联系管理员。", "The hall has no service desk configured ([[desks]]); ask a manager."));
    $("who").textContent = me.name;
    const sel = $("deskSel");
    sel.innerHTML = catalog.desks.map((d) => `<option value="${esc(d.id)}">${esc(t(d.name, d.name_en || d.name))}</option>`).join("");
    const kept = localStorage.getItem("hallq.desk.id");
    if (kept && catalog.desks.some((d) => d.id === kept)) sel.value = kept;
    sel.hidden = false;
    $("signin").hidden = true; $("app").hidden = false; $("signoutBtn").hidden = false;
    renderItems();
    refreshHelp();
    setInterval(refreshHelp, 5000);
    hallq.follow("token=" + encodeURIComponent(tok), (ev) => { if (ev && String(ev.type).startsWith("help_")) refreshHelp(); }, () => {});
  }

  // 帮办: kiosks whose visitor asked for staff, oldest first; "我去处理" closes the call with
  // the desk's staff number in the chain.
  async function refreshHelp() {
    let r;
    try { r = await api(tok, "GET", "/help"); } catch (e) { $("helpMsg").textContent = e.message; return; }
    $("helpMsg").textContent = "";
    $("helpPanel").hidden = r.calls.length === 0;
    $("helpList").innerHTML = r.calls.map((c) => `<div class="call"><b>${esc(c.kiosk)}${c.place ? "（" + esc(c.place) + "）" : ""}</b>`
      + `<span>${t(`已等 ${c.minutes} 分钟`, `waiting ${c.minutes} min`)}</span><button class="b" data-kiosk="${esc(c.kiosk)}">${t("我去处理", "I'm going")}</button></div>`).join("");
    $("helpList").querySelectorAll("button[data-kiosk]").forEach((b) => b.onclick = async () => {
      b.disabled = true;
      try { await api(tok, "POST", `/help/${encodeURIComponent(b.dataset.kiosk)}/answer`, {}); } catch (e) { $("helpMsg").textContent = e.message; }
      refreshHelp();
    });
  }

  async function signIn() {
    $("signinMsg").textContent = "";
    try {
      const s = await api("", "POST", "/login", { staff_id: $("staffInput").value.trim(), password: $("passwordInput").value });
      tok = s.token; sessionStorage.setItem(KEY, tok); $("passwordInput").value = "";
      start();
    } catch (e) { $("signinMsg").textContent = e.message; $("passwordInput").value = ""; }
  }

  function renderItems() {
    const q = $("search").value.trim().toLowerCase();
    const shown = catalog.services.filter((s) => !q || s.name.toLowerCase().includes(q) || (s.name_en || "").toLowerCase().includes(q) || s.id.includes(q));
    const depts = [...new Set(shown.map((s) => s.department.id))];
    $("items").innerHTML = depts.map((d) => {
      const items = shown.filter((s) => s.department.id === d);
      const dn = items[0].department;
      return `<div class="dept">${esc(t(dn.name || dn.id, dn.name_en || dn.name || dn.id))}</div>` + items.map((s) =>
        `<button class="item${chosen && chosen.id === s.id ? " on" : ""}" data-id="${esc(s.id)}"><span class="nm">${esc(t(s.name, s.name_en || s.name))}</span>` +
        (s.kiosk ? "" : `<span class="badge">${t("仅导引台", "Desk only")}</span>`) +
        (s.identity === "required" ? `<span class="badge card">${t("需身份证", "ID card")}</span>` : "") +
        `<span class="muted2">${t(`等候 ${s.waiting} 人`, `${s.waiting} waiting`)}</span></button>`).join("");
    }).join("") || `<div class="muted2">${t("没有匹配的事项。", "No item matches.")}</div>`;
    for (const b of document.querySelectorAll("#items .item")) b.onclick = () => { chosen = catalog.services.find((s) => s.id === b.dataset.id); renderItems(); showChosen(); };
  }

  function showChosen() {
    $("chosen").innerHTML = `<b>${esc(t(chosen.name, chosen.name_en || chosen.name))}</b> · ${esc(chosen.mode_label)}` +
      (chosen.identity === "required" ? ` · ${t("需填写姓名和身份证号码", "name and ID number needed")}` : "");
    $("issueBtn").disabled = false;
  }

  function printText(p) {
    if (p.printed) return `<div class="ok">${esc(t("已在导引台打印机打印。", "Printed on the desk's printer."))}${p.message ? " " + esc(p.message) : ""}</div>`;
    return `<div class="err">${esc(t("未打印：", "Not printed: "))}${esc(p.message || "")}</div>`;
  }

  async function issue() {
    $("issueMsg").innerHTML = "";
    const body = { request_id: "desk-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8), service: chosen.id };
    const name = $("idName").value.trim(), idno = $("idNumber").value.trim().toUpperCase();
    if (name || idno) body.identity = { name, id_number: idno };
    if ($("green").checked) body.priority = "green";
    $("issueBtn").disabled = true;
    try {
      const r = await api(tok, "POST", `/desks/${encodeURIComponent($("deskSel").value)}/tickets`, body);
      $("issueMsg").innerHTML = `<div class="num" id="issuedNumber">${esc(r.ticket.number)}</div>` +
        `<div>${esc(t(`前面 ${r.ticket.people_ahead_at_issue} 人，预计 ${r.ticket.estimate_minutes_at_issue} 分钟`, `${r.ticket.people_ahead_at_issue} ahead, about ${r.ticket.estimate_minutes_at_issue} min`))}</div>` + printText(r.print);
      $("idName").value = ""; $("idNumber").value = ""; $("green").checked = false;
      catalog = await api(tok, "GET", "/catalog").catch(() => catalog);
      renderItems();
    } catch (e) { $("issueMsg").innerHTML = `<div class="err">${esc(e.message)}</div>`; }
    $("issueBtn").disabled = false;
  }

  async function reprint() {
    $("reprintMsg").innerHTML = "";
    const number = $("reNumber").value.trim().toUpperCase();
    if (!/^[A-Z0-9]{1,8}$/.test(number)) { $("reprintMsg").innerHTML = `<div class="err">${esc(t("请输入号码，如 B004。", "Enter a number such as B004."))}</div>`; return; }
    let day;
    try { day = (await (await fetch("/api/v1/health")).json()).date; } catch (e) { day = null; }
    if (!day) { $("reprintMsg").innerHTML = `<div class="err">${esc(t("无法取得大厅日期，请稍后再试。", "Cannot read the hall's date; try again."))}</div>`; return; }
    try {
      const r = await api(tok, "POST", `/desks/${encodeURIComponent($("deskSel").value)}/reprint`, { ticket: day.replaceAll("-", "") + "-" + number });
      $("reprintMsg").innerHTML = `<div class="num">${esc(r.ticket.number)}</div>` + printText(r.print);
    } catch (e) { $("reprintMsg").innerHTML = `<div class="err">${esc(e.message)}</div>`; }
  }

  applyTexts();
  $("signinBtn").onclick = signIn;
  $("passwordInput").onkeydown = (e) => { if (e.key === "Enter") signIn(); };
  $("search").oninput = renderItems;
  $("issueBtn").onclick = issue;
  $("reprintBtn").onclick = reprint;
  $("reNumber").onkeydown = (e) => { if (e.key === "Enter") reprint(); };
  $("deskSel").onchange = () => localStorage.setItem("hallq.desk.id", $("deskSel").value);
  $("signoutBtn").onclick = async () => { await api(tok, "POST", "/logout").catch(() => {}); sessionStorage.removeItem(KEY); tok = ""; location.reload(); };
  $("langBtn").onclick = () => { localStorage.setItem("hallq.lang", hallq.lang === "en" ? "zh" : "en"); location.search = ""; };
  start();
})();
