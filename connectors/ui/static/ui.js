// Connectors UI: small progressive enhancements. The pages work without this script;
// the server checks everything again. No inline script (the CSP forbids it).
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const pad = (n) => String(n).padStart(2, "0");

  function localTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function utcTime(iso) {
    const d = new Date(iso);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }
  function badge(label, tone) {
    const span = document.createElement("span");
    span.className = `badge badge-${tone}`;
    span.textContent = label;
    return span;
  }
  function setLocalTimes(root) {
    $$("time[data-local]", root).forEach((t) => { t.title = `Local time: ${localTime(t.dateTime)}`; });
    $$("time[data-local-only]", root).forEach((t) => { t.textContent = localTime(t.dateTime); });
  }

  // -- generic: confirmations, copy, reveal ------------------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  $$("[data-copy]").forEach((button) => button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
    catch (e) { button.textContent = "Select and copy"; }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  }));
  $$("[data-reveal]").forEach((button) => button.addEventListener("click", () => {
    const input = document.getElementById(button.dataset.reveal);
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.textContent = show ? "Hide" : "Show";
    button.setAttribute("aria-pressed", String(show));
  }));
  setLocalTimes(document);

  // -- configuration form: live depends_on and checks before saving ------------------------
  const configForm = $("#config-form");
  if (configForm) {
    const rules = JSON.parse(configForm.dataset.rules || "{}");
    const rowOf = (key) => $(`.config-row[data-key="${CSS.escape(key)}"]`, configForm);
    function rawValue(key) {
      const inputs = $$(`[name="${CSS.escape(key)}"]`, configForm).filter((i) => i.type !== "hidden");
      if (!inputs.length) return null;
      const first = inputs[0];
      if (first.type === "checkbox") return first.checked;
      if (first.type === "radio") { const c = inputs.find((i) => i.checked); return c ? c.value : ""; }
      return first.value;
    }
    function typed(key) {
      const rule = rules[key]; const raw = rawValue(key);
      if (!rule) return raw;
      if (rule.type === "bool" || rule.display === "toggle") return raw === true || raw === "true";
      if (rule.type === "int" && typeof raw === "string" && /^[+-]?\d+$/.test(raw.trim())) {
        const n = Number(raw.trim()); if (Number.isSafeInteger(n)) return n;
      }
      return raw;
    }
    function visible(key) {
      return (rules[key].depends_on || []).every((d) => typed(d.field) === d.value);
    }
    function refresh() {
      Object.keys(rules).forEach((key) => { const row = rowOf(key); if (row) row.hidden = !visible(key); });
    }
    const items = (v) => String(v).split(",").map((s) => s.trim()).filter(Boolean);
    function problem(key) {
      const rule = rules[key]; const raw = rawValue(key);
      if (rule.display === "toggle") return "";
      const text = typeof raw === "string" ? raw.trim() : raw;
      const clear = $(`[name="${CSS.escape(key)}__clear"]`, configForm);
      if (text === "" || text === null) {
        if (rule.sensitive && rule.has_value && !(clear && clear.checked)) return "";
        return rule.required ? `${rule.label} is required` : "";
      }
      const value = typed(key);
      if (rule.type === "int" && !Number.isInteger(value)) return `${rule.label} must be an integer`;
      if (rule.display === "dropdown" && rule.options.length && !rule.options.includes(String(text)))
        return `${rule.label} must be one of: ${rule.options.join(", ")}`;
      for (const v of rule.validations || []) {
        const c = v.constraint;
        const number = rule.type === "list" ? items(text).length : Number(text);
        if (v.type === "less_than" && !(number < Number(c))) return `${rule.label} must be less than ${c}`;
        if (v.type === "greater_than" && !(number > Number(c))) return `${rule.label} must be greater than ${c}`;
        if (v.type === "list_type" && c === "int") {
          const bad = items(text).find((i) => !/^[+-]?\d+$/.test(i));
          if (bad !== undefined) return `${rule.label}: every item must be an integer ('${bad}' is not)`;
        }
        if (v.type === "included_in") {
          const allowed = (c || []).map(String);
          const bad = (rule.type === "list" ? items(text) : [String(text)]).find((i) => !allowed.includes(i));
          if (bad !== undefined) return `${rule.label}: '${bad}' is not one of: ${allowed.join(", ")}`;
        }
        if (v.type === "regex") {
          // the service's plain_text(n) validation (connectors/configuration.py): worded as a
          // length or control-character problem, as the server words it, never quoting a value
          const plain = /^\[\^\\x00-\\x1f\\x7f\]\{0,(\d+)\}$/.exec(String(c));
          if (plain) {
            const max = Number(plain[1]);
            for (const item of (rule.type === "list" ? items(text) : [String(text)])) {
              if (item.length > max)
                return `${rule.label} is ${item.length.toLocaleString("en-US")} characters long; at most ${max.toLocaleString("en-US")} are allowed`;
              if (/[\x00-\x1f\x7f]/.test(item)) return `${rule.label} must not contain line breaks or other control characters`;
            }
            continue;
          }
          try {
            const pattern = new RegExp(`^(?:${c})$`);
            const bad = (rule.type === "list" ? items(text) : [String(text)]).find((i) => !pattern.test(i));
            if (bad !== undefined) return `${rule.label} does not match the expected format (${c})`;
          }
          catch (e) { /* the server checks with Python's regex flavour */ }
        }
      }
      return "";
    }
    function show(key, message) {
      const row = rowOf(key); if (!row) return;
      row.classList.toggle("invalid", !!message);
      const err = $(".error", row); if (err) err.textContent = message;
      $$("input:not([type=hidden]), select, textarea", row).forEach((i) => {
        if (message) i.setAttribute("aria-invalid", "true"); else i.removeAttribute("aria-invalid");
      });
    }
    configForm.addEventListener("input", refresh);
    configForm.addEventListener("change", (event) => {
      refresh();
      const key = event.target.name;
      if (rules[key] && !rowOf(key).hidden) show(key, problem(key));
    });
    configForm.addEventListener("submit", (event) => {
      refresh();
      const bad = Object.keys(rules).filter((key) => rowOf(key) && !rowOf(key).hidden)
        .map((key) => [key, problem(key)]).filter(([, m]) => m);
      Object.keys(rules).forEach((key) => show(key, ""));
      bad.forEach(([key, message]) => show(key, message));
      const banner = $("#client-error");
      if (bad.length) {
        event.preventDefault();
        banner.textContent = `${bad.length} field${bad.length === 1 ? " needs" : "s need"} attention. Nothing was saved.`;
        banner.hidden = false;
        const first = $("input:not([type=hidden]), select, textarea", rowOf(bad[0][0]));
        if (first) first.focus();
      } else banner.hidden = true;
    });
    refresh();
  }

  // -- scheduling: frequency picker ↔ Quartz expression, next runs -------------------------
  const CRON = {
    minute: () => "0 * * * * ?",
    hour: (p) => `0 ${p.minute} * * * ?`,
    day: (p) => `0 ${p.minute} ${p.hour} * * ?`,
    week: (p) => `0 ${p.minute} ${p.hour} ? * ${p.day}`,
    month: (p) => `0 ${p.minute} ${p.hour} ${p.date} * ?`,
    year: (p) => `0 ${p.minute} ${p.hour} ${p.date} ${p.month} ?`,
  };
  const SHOWN = { minute: [], hour: ["minute"], day: ["hour", "minute"], week: ["day", "hour", "minute"],
    month: ["date", "hour", "minute"], year: ["month", "date", "hour", "minute"] };
  $$(".cron-form").forEach((form) => {
    const part = (name) => $(`[data-part="${name}"]`, form);
    const raw = part("interval");
    let timer = null;
    let asked = 0;  // only the answer to the latest question is shown
    function layout() {
      const f = part("frequency").value;
      $$("[data-for]", form).forEach((el) => { el.hidden = !SHOWN[f].includes(el.dataset.for); });
    }
    async function preview() {
      const error = $(".error", raw.closest(".field"));
      const body = $("[data-runs]", form);
      const question = ++asked;
      try {
        const response = await fetch(`/api/cron?expression=${encodeURIComponent(raw.value)}`, { credentials: "same-origin" });
        const data = await response.json();
        if (question !== asked) return;
        raw.closest(".field").classList.toggle("invalid", !data.valid);
        error.textContent = data.valid ? "" : data.error;
        if (data.valid) raw.removeAttribute("aria-invalid"); else raw.setAttribute("aria-invalid", "true");
        body.replaceChildren();
        (data.runs || []).forEach((iso) => {
          const tr = document.createElement("tr");
          const a = document.createElement("td"); a.textContent = utcTime(iso);
          const b = document.createElement("td"); b.textContent = localTime(iso);
          tr.append(a, b); body.append(tr);
        });
        if (!body.children.length) {
          const tr = document.createElement("tr"); const td = document.createElement("td");
          td.colSpan = 2; td.className = "subdued"; td.textContent = "--"; tr.append(td); body.append(tr);
        }
        if (data.valid && data.picker && !data.picker.custom) {
          ["frequency", "minute", "hour", "day", "date", "month"].forEach((k) => { part(k).value = String(data.picker[k]); });
          layout();
        }
        $(".picker-custom", form).hidden = !(data.valid && data.picker && data.picker.custom);
      } catch (e) {
        if (question === asked) error.textContent = "Could not check the expression (is the UI server running?)";
      }
    }
    function fromPicker() {
      const p = {}; ["minute", "hour", "day", "date", "month"].forEach((k) => { p[k] = part(k).value; });
      raw.value = CRON[part("frequency").value](p);
      layout(); preview();
    }
    ["frequency", "minute", "hour", "day", "date", "month"].forEach((k) => part(k).addEventListener("change", fromPicker));
    raw.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(preview, 300); });
    form.addEventListener("reset", () => setTimeout(() => { raw.value = form.dataset.initial; preview(); }, 0));
    layout();
  });

  // -- sync rules editor -------------------------------------------------------------------
  const rows = $("#rule-rows");
  if (rows) {
    const renumber = () => $$(".rule-row", rows).forEach((row, i) => {
      $(".order", row).textContent = String(i + 1);
      // "Policy of rule 2": each control says which row it belongs to
      $$("[data-label-base]", row).forEach((el) => el.setAttribute("aria-label", `${el.dataset.labelBase} of rule ${i + 1}`));
      $$("[data-move], [data-remove]", row).forEach((el) => {
        const what = el.dataset.move ? `Move rule ${i + 1} ${el.dataset.move}` : `Delete rule ${i + 1}`;
        el.setAttribute("aria-label", what);
      });
    });
    renumber();
    function checkRow(row) {
      const kind = $("[name=rule_rule]", row).value;
      const value = $("[name=rule_value]", row).value;
      let message = "";
      if (kind === "regex" && value) { try { new RegExp(value); } catch (e) { message = `Invalid regular expression: ${e.message}`; } }
      $(".error", row).textContent = message;
      row.classList.toggle("invalid", !!message);
      return !message;
    }
    rows.addEventListener("click", (event) => {
      const button = event.target.closest("button"); if (!button) return;
      const row = button.closest(".rule-row");
      if (button.dataset.move === "up" && row.previousElementSibling) row.parentNode.insertBefore(row, row.previousElementSibling);
      else if (button.dataset.move === "down" && row.nextElementSibling) row.parentNode.insertBefore(row.nextElementSibling, row);
      else if (button.hasAttribute("data-remove")) { const next = row.nextElementSibling || row.previousElementSibling; row.remove(); if (next) $("button", next).focus(); else $("#add-rule").focus(); renumber(); return; }
      else return;
      renumber(); button.focus();
    });
    rows.addEventListener("input", (event) => { const row = event.target.closest(".rule-row"); if (row) checkRow(row); });
    rows.addEventListener("change", (event) => { const row = event.target.closest(".rule-row"); if (row) checkRow(row); });
    $("#add-rule").addEventListener("click", () => {
      const fragment = $("#rule-template").content.cloneNode(true);
      rows.append(fragment); renumber();
      $("[name=rule_field]", rows.lastElementChild).focus();
    });
    $("#rules-form").addEventListener("submit", (event) => {
      const allOk = $$(".rule-row", rows).map(checkRow).every(Boolean);
      if (!allOk || !checkSnippet()) event.preventDefault();
    });
  }
  const snippet = $("#advanced_snippet");
  function checkSnippet() {
    if (!snippet) return true;
    const error = $("#advanced_snippet-error");
    const text = snippet.value.trim();
    let message = "";
    if (text) {
      try {
        const value = JSON.parse(text);
        if (value === null || typeof value !== "object") message = "The advanced rules must be a JSON object or array";
      } catch (e) { message = `Invalid JSON: ${e.message}`; }
    }
    error.textContent = message;
    snippet.closest(".field").classList.toggle("invalid", !!message);
    if (message) snippet.setAttribute("aria-invalid", "true"); else snippet.removeAttribute("aria-invalid");
    return !message;
  }
  if (snippet) {
    snippet.addEventListener("input", checkSnippet);
    const rulesForm = $("#rules-form");
    if (!rows && rulesForm) rulesForm.addEventListener("submit", (event) => { if (!checkSnippet()) event.preventDefault(); });
  }

  // -- live refresh --------------------------------------------------------------------------
  const POLL_MS = 1500;
  const MAX_POLLS = 2400;
  // Never reload under a user who is leaving the page (a link clicked while a poll was in flight
  // must win); back/forward cache restores clear the flag.
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });
  window.addEventListener("pageshow", () => { leaving = false; });

  function showJob(el, job) {
    ["indexed", "deleted", "failed", "volume", "duration", "total"].forEach((k) => {
      $$(`[data-job="${k}"]`, el).forEach((node) => { node.textContent = job[k]; });
    });
    $$('[data-job="status"]', el).forEach((node) => node.replaceChildren(badge(job.status_label, job.status_tone)));
  }
  // Poll a job every POLL_MS while it is active; `step(job)` shows it and says whether to go on.
  function pollJob(url, step) {
    let polls = 0;
    async function tick() {
      polls += 1;
      try {
        const response = await fetch(url(), { credentials: "same-origin" });
        if (response.ok && !(await step(await response.json()))) return;
      } catch (e) { /* keep trying: the server may be restarting */ }
      if (polls < MAX_POLLS) setTimeout(tick, POLL_MS);
    }
    setTimeout(tick, POLL_MS);
  }
  // Job history rows: counts and status in place; the cancel button goes when the job ends.
  $$("[data-poll-job]:not([data-live-job])").forEach((row) => pollJob(() => row.dataset.pollJob, (job) => {
    showJob(row, job);
    if (!job.active) $$('form[action$="/cancel"]', row).forEach((form) => form.remove());
    return job.active;
  }));
  // The job page: counts in place on every poll; when the status moves, the parts that depend on
  // it (callouts, buttons, events) are replaced by a fresh copy from the server, without a reload.
  $$("[data-live-job][data-poll-job]").forEach((first) => {
    let live = first;
    async function replaceLive() {
      const response = await fetch(live.dataset.liveJob, { credentials: "same-origin" });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("[data-live-job]");
      if (!fresh) return;  // e.g. the sign-in page: the session ended
      const node = document.importNode(fresh, true);
      const hadFocus = live.contains(document.activeElement);
      live.replaceWith(node);
      live = node;
      setLocalTimes(live);
      if (hadFocus) { const heading = $("h2", live); heading.tabIndex = -1; heading.focus(); }
    }
    pollJob(() => live.dataset.pollJob, async (job) => {
      showJob(live, job);
      if (job.status !== live.dataset.status) await replaceLive();
      return live.hasAttribute("data-poll-job");
    });
  });
  $$("[data-poll-state]").forEach((el) => {
    const watched = el.dataset.watch.split(",");
    const snapshot = (state) => JSON.stringify(watched.map((k) => (state[k] === undefined ? null : state[k])));
    const first = snapshot(JSON.parse(el.dataset.initial || "{}"));  // as the page was rendered
    let polls = 0;
    async function tick() {
      polls += 1;
      try {
        const response = await fetch(el.dataset.pollState, { credentials: "same-origin" });
        if (response.ok) {
          const state = await response.json();
          if (snapshot(state) !== first && !leaving) { window.location.reload(); return; }
        }
      } catch (e) { /* keep trying */ }
      if (polls < MAX_POLLS) setTimeout(tick, POLL_MS);
    }
    tick();
  });
})();
