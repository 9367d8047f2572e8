"""The dashboard's own JavaScript, served at /static/dashboard.js (no network needed).

Kept as a Python string so it ships inside the package with no package-data setup. It holds
the helpers every page uses, the live view of running trials, and the study page's trial
table: sort by any column, filter by state, stop reason and parameter ranges, and select
trials to overlay their train/val curves and lr.
"""

DASHBOARD_JS = r"""
"use strict";
// Numbers as the tables print them; "inf"/"-inf" arrive as strings (JSON has no infinity).
function fmt(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "number" ? +v.toPrecision(4) + "" : String(v);
}
const ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
function esc(s) { return String(s).replace(/[&<>"']/g, c => ESCAPES[c]); }
function num(v) { return v === "inf" ? Infinity : v === "-inf" ? -Infinity : v; }
function poll(url, render) {  // every 2 s, without reloading the page
  const tick = () => fetch(url, {cache: "no-store"}).then(r => r.json()).then(render)
    .catch(() => {});
  tick(); setInterval(tick, 2000);
}
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];

// The live view: counts, the running trials' table and their curves so far.
function renderLive(d, page) {
  const c = d.counts, done = c.COMPLETE + c.PRUNED + c.FAIL;
  const best = d.best === null ? "" : ` — best ${d.metric} ${fmt(d.best)}`;
  document.getElementById("live-status").textContent =
    `${done}${d.n_trials ? " of " + d.n_trials : ""} trials done ` +
    `(${c.COMPLETE} complete, ${c.PRUNED} pruned, ${c.FAIL} failed), ` +
    `${c.RUNNING} running, ${c.WAITING} waiting${best} · ` +
    `updated ${new Date(d.time * 1000).toLocaleTimeString()}`;
  document.getElementById("stale").hidden =
    JSON.stringify(d.version) === JSON.stringify(page.version);
  document.querySelector("#running tbody").innerHTML = d.running.map(t => {
    const params = Object.entries(t.params).map(([k, v]) => k + "=" + fmt(v)).join(", ");
    const started = t.started ? new Date(t.started + "Z").toLocaleTimeString() : "";
    return `<tr><td>${page.trialLink(t.trial)}</td><td class="epoch">${t.epoch}</td>` +
      `<td>${fmt(t.last[d.metric])}</td><td class="wrap">${esc(params)}</td>` +
      `<td>${started}</td></tr>`;
  }).join("");
  document.getElementById("running").hidden = !d.running.length;
  document.getElementById("recent").innerHTML = d.recent.map(r =>
    `trial ${page.trialLink(r.trial)} ${r.state.toLowerCase()} ${fmt(r.value)}`)
    .join(" · ") || "none yet";
  // Nothing running: no empty chart, the space goes to the tables.
  const chart = document.getElementById("live-curve");
  chart.hidden = !d.running.length;
  if (!d.running.length) { Plotly.purge(chart); return; }
  const maxEpoch = Math.max(1, ...d.running.map(t => t.epoch));  // whole epochs on the axis
  const traces = d.running.map(t => ({x: t.curve.epoch, y: t.curve[d.metric],
    mode: "lines+markers", name: "trial " + t.trial}));
  Plotly.react(chart, traces, {
    title: {text: d.metric + " of the running trials, by epoch"}, height: 300,
    template: "plotly_white", margin: {l: 50, r: 20, t: 40, b: 40},
    xaxis: {title: {text: "epoch"}, tickformat: "d", dtick: maxEpoch <= 20 ? 1 : undefined},
  }, {responsive: true});
}

// Curve panels of the overlay: title, columns, logarithmic y.
const PANELS = [["loss", ["train_loss", "val_loss"], false],
                ["accuracy (%)", ["train_acc", "val_acc"], false],
                ["learning rate", ["lr"], true]];
const MAX_ROWS = 500;  // rows drawn after filtering; the rest are counted, not drawn

function trialTable(data, page) {
  const sortsBest = data.columns.includes("best");
  const view = {column: sortsBest ? "best" : "trial", descending: sortsBest &&
                data.direction === "maximize", selected: new Set()};
  const rows = data.rows, table = document.getElementById("trials");
  const isNumeric = column => rows.some(r => typeof num(r[column]) === "number");
  const reasonOf = r => String(r.stop_reason || "").split(":")[0];

  // Filters, built from the data: states present, stop reasons, one box per parameter.
  const states = [...new Set(rows.map(r => r.state))];
  document.getElementById("state-filter").innerHTML = states.map(s =>
    `<label><input type="checkbox" name="state" value="${esc(s)}" checked> ` +
    `${esc(s.toLowerCase())}</label>`).join(" ");
  const reasons = [...new Set(rows.map(reasonOf))].filter(Boolean).sort();
  document.getElementById("reason-filter").innerHTML = `<option value="">any</option>` +
    reasons.map(r => `<option value="${esc(r)}">${esc(r)}</option>`).join("");
  document.getElementById("param-filters").innerHTML = data.params.map(p => {
    const label = `<span class="pname" title="${esc(p.name)}">${esc(p.name)}</span>`;
    const attrs = `data-param="${esc(p.column)}"`;
    if (p.values) {
      const options = p.values.map(v =>
        `<option value="${esc(String(v))}">${esc(fmt(v))}</option>`);
      return `<div class="pf">${label}<select ${attrs}><option value="">any</option>` +
        options.join("") + `</select></div>`;
    }
    const seen = rows.map(r => r[p.column]).filter(v => typeof v === "number");
    const low = seen.length ? Math.min(...seen) : "", high = seen.length ? Math.max(...seen) : "";
    return `<div class="pf">${label}` +
      `<input type="number" step="any" ${attrs} data-bound="min" placeholder="${fmt(low)}">–` +
      `<input type="number" step="any" ${attrs} data-bound="max" placeholder="${fmt(high)}"></div>`;
  }).join("");
  document.getElementById("param-count").textContent = data.params.length;

  function passes(r) {
    const states = [...document.querySelectorAll("#state-filter input:checked")].map(i => i.value);
    if (!states.includes(r.state)) return false;
    const reason = document.getElementById("reason-filter").value;
    if (reason && reasonOf(r) !== reason) return false;
    for (const box of document.querySelectorAll("#param-filters [data-param]")) {
      if (box.value === "") continue;
      const v = r[box.dataset.param];
      if (box.tagName === "SELECT") { if (String(v) !== box.value) return false; continue; }
      if (typeof v !== "number") return false;  // not sampled: outside any range
      if (box.dataset.bound === "min" ? v < +box.value : v > +box.value) return false;
    }
    return true;
  }
  function compare(a, b) {
    const x = num(a[view.column]), y = num(b[view.column]);
    if (x === null || x === undefined) return 1;  // blanks last, whichever the order
    if (y === null || y === undefined) return -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y
      : String(x).localeCompare(String(y));
    return view.descending ? -order : order;
  }
  function cells(r) {
    const pick = `<input type="checkbox" class="pick" value="${r.trial}"` +
      `${view.selected.has(r.trial) ? " checked" : ""}>`;
    return `<td>${pick}</td>` + data.columns.map(c =>
      `<td>${c === "trial" ? page.trialLink(r.trial) : esc(fmt(r[c]))}</td>`).join("");
  }
  function render() {
    const shown = rows.filter(passes).sort(compare);
    const arrow = c => c === view.column ? (view.descending ? " ▼" : " ▲") : "";
    table.tHead.innerHTML = "<tr><th title='tick to overlay curves'>curves</th>" +
      data.columns.map(c =>
        `<th data-column="${esc(c)}" class="sortable">${esc(c)}${arrow(c)}</th>`).join("") +
      "</tr>";
    table.tBodies[0].innerHTML = shown.slice(0, MAX_ROWS)
      .map(r => `<tr data-trial="${r.trial}">${cells(r)}</tr>`).join("");
    document.getElementById("shown-count").textContent = `${shown.length} of ${rows.length} ` +
      `trials${shown.length > MAX_ROWS ? ` (first ${MAX_ROWS} drawn)` : ""}`;
  }
  table.tHead.addEventListener("click", e => {
    const column = e.target.closest("th")?.dataset.column;
    if (!column) return;
    view.descending = column === view.column ? !view.descending
      : isNumeric(column) && column !== "trial";
    view.column = column;
    render();
  });
  table.tBodies[0].addEventListener("change", e => {
    if (!e.target.classList.contains("pick")) return;
    const trial = +e.target.value;
    e.target.checked ? view.selected.add(trial) : view.selected.delete(trial);
    overlay([...view.selected], page);
  });
  const filters = document.getElementById("filters");
  filters.addEventListener("input", render);
  filters.addEventListener("change", render);
  document.getElementById("clear-filters").addEventListener("click", () => {
    document.querySelectorAll("#state-filter input").forEach(i => { i.checked = true; });
    document.querySelectorAll("#filters select, #param-filters input")
      .forEach(i => { i.value = ""; });
    render();
  });
  document.getElementById("clear-selection").addEventListener("click", () => {
    view.selected.clear(); render(); overlay([], page);
  });
  render();
}

// The picked trials' curves side by side: loss, accuracy, lr; train dashed, val solid.
function overlay(trials, page) {
  const chart = document.getElementById("compare");
  chart.hidden = !trials.length;
  if (!trials.length) { Plotly.purge(chart); return; }
  fetch(page.curvesUrl + "?trials=" + trials.join(","), {cache: "no-store"})
    .then(r => r.json()).then(curves => {
      const has = c => Object.values(curves).some(t => t[c]);
      const present = PANELS.filter(([, columns]) => columns.some(has));
      const panels = present.length ? present : [[page.metric, [page.metric], false]];
      const traces = [], layout = {
        template: "plotly_white", height: 340, margin: {l: 50, r: 20, t: 60, b: 40},
        title: {text: "Selected trials (dashed: train, solid: val)"}, annotations: []};
      const gap = 0.06, width = (1 - gap * (panels.length - 1)) / panels.length;
      panels.forEach(([title, columns, log], i) => {
        const axis = i ? String(i + 1) : "", left = i * (width + gap);
        layout["xaxis" + axis] = {domain: [left, left + width], anchor: "y" + axis,
                                  title: {text: "epoch"}};
        layout["yaxis" + axis] = {anchor: "x" + axis, type: log ? "log" : "linear"};
        layout.annotations.push({text: title, showarrow: false, xref: "x" + axis + " domain",
                                 yref: "paper", x: 0.5, y: 1.04});
        trials.forEach((trial, k) => {
          const t = curves[trial];
          if (!t) return;
          columns.filter(c => t[c]).forEach(c => traces.push({
            x: t.epoch, y: t[c].map(num), xaxis: "x" + axis, yaxis: "y" + axis, mode: "lines",
            name: `trial ${trial}`, legendgroup: String(trial),
            showlegend: i === 0 && c === columns[columns.length - 1],
            line: {color: COLOURS[k % COLOURS.length],
                   dash: c.startsWith("train") ? "dash" : "solid"},
            hovertemplate: `trial ${trial} ${c}<br>epoch %{x}: %{y:.4g}<extra></extra>`}));
        });
      });
      Plotly.react(chart, traces, layout, {responsive: true, displaylogo: false});
    });
}
"""
