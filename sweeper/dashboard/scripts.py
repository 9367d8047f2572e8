"""The dashboard's own JavaScript, served at /static/dashboard.js (no network needed).

Kept as a Python string so it ships inside the package with no package-data setup. It holds
the helpers every page uses, the live view of running trials, and the study page's trial
table: sort by any column, filter by state, stop reason and parameter ranges, page through,
and select trials to overlay their train/val curves and lr; and the study page's figures,
drawn from the trial table's columns (see explorer.py).

What these figures share with report.html's (layout, WebGL threshold, log-scaled costs, curve
panels, colours) is not repeated here: it comes from sweeper/report/figures.py, rendered into
the study page as PAGE.figures (explorer.figure_settings).
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
// Resolves once plotly.js has run: at once on pages that load it first, after loadPlotly()
// on the study page, whose table needs no Plotly and comes first.
let plotlyLoaded;
const plotlyReady = new Promise(resolve => { plotlyLoaded = resolve; });
if (window.Plotly) plotlyLoaded();
function loadPlotly(src) {
  if (window.Plotly) { plotlyLoaded(); return; }
  const script = document.createElement("script");
  script.src = src;
  script.onload = plotlyLoaded;
  document.head.appendChild(script);
}

// The live view: counts, the running trials' table and their curves so far.
function renderLive(d, page) {
  // The one count of sweeper/outcomes.py, as status and the report give it.
  const c = d.counts;
  const best = d.best === null ? "" : ` — best ${d.metric} ${fmt(d.best)}`;
  const ended = Object.entries(c.by_status).filter(([s, n]) => n && s !== "running" &&
    s !== "waiting").map(([s, n]) => `${n} ${s}`).join(", ") || "none yet";
  document.getElementById("live-status").textContent =
    `${c.done}${d.n_trials ? " of " + d.n_trials : ""} trials done ` +
    `(${ended}), ${c.by_status.running || 0} running, ${c.by_status.waiting || 0} waiting${best} · ` +
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
    ...page.figures.layout, title: {text: d.metric + " of the running trials, by epoch"},
    height: 300,
    xaxis: {title: {text: "epoch"}, tickformat: "d", dtick: maxEpoch <= 20 ? 1 : undefined},
  }, {responsive: true});
}

const PAGE_ROWS = 100;  // table rows drawn at once; the rest are a page away

// Row objects from the data's column arrays (a text column may come as levels + codes).
function rowsOf(table) {
  const columns = Object.entries(table.data).map(([name, c]) =>
    [name, Array.isArray(c) ? c : c.codes.map(i => c.levels[i])]);
  const rows = new Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const row = {};
    for (const [name, values] of columns) row[name] = values[i];
    rows[i] = row;
  }
  return rows;
}

function trialTable(data, rows, page) {
  const sortsBest = data.columns.includes("best");
  const view = {column: sortsBest ? "best" : "trial", descending: sortsBest &&
                data.direction === "maximize", selected: new Set(), page: 0};
  const table = document.getElementById("trials");
  const isNumeric = column => rows.some(r => typeof num(r[column]) === "number");

  // Filters, built from the data: states present, outcomes (the typed outcome of each
  // attempt, sweeper/outcomes.py: never parsed from the stop reason's text), one box per
  // parameter.
  const states = [...new Set(rows.map(r => r.state))];
  document.getElementById("state-filter").innerHTML = states.map(s =>
    `<label><input type="checkbox" name="state" value="${esc(s)}" checked> ` +
    `${esc(s.toLowerCase())}</label>`).join(" ");
  const reasons = [...new Set(rows.map(r => r.outcome))].filter(Boolean).sort();
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
    const [low, high] = extent(rows.map(r => r[p.column]).filter(v => typeof v === "number"));
    return `<div class="pf">${label}` +
      `<input type="number" step="any" ${attrs} data-bound="min" placeholder="${fmt(low)}">–` +
      `<input type="number" step="any" ${attrs} data-bound="max" placeholder="${fmt(high)}"></div>`;
  }).join("");
  document.getElementById("param-count").textContent = data.params.length;

  // The filters as they stand, read from the page once per render, not once per row.
  function filter() {
    const states = new Set([...document.querySelectorAll("#state-filter input:checked")]
      .map(i => i.value));
    const reason = document.getElementById("reason-filter").value;
    const boxes = [...document.querySelectorAll("#param-filters [data-param]")]
      .filter(box => box.value !== "").map(box => ({column: box.dataset.param,
        choice: box.tagName === "SELECT", min: box.dataset.bound === "min", value: box.value}));
    return r => {
      if (!states.has(r.state)) return false;
      if (reason && r.outcome !== reason) return false;
      for (const box of boxes) {
        const v = r[box.column];
        if (box.choice) { if (String(v) !== box.value) return false; continue; }
        if (typeof v !== "number") return false;  // not sampled: outside any range
        if (box.min ? v < +box.value : v > +box.value) return false;
      }
      return true;
    };
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
    const shown = rows.filter(filter()).sort(compare);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_ROWS));
    view.page = Math.min(view.page, pages - 1);
    const first = view.page * PAGE_ROWS, drawn = shown.slice(first, first + PAGE_ROWS);
    const arrow = c => c === view.column ? (view.descending ? " ▼" : " ▲") : "";
    table.tHead.innerHTML = "<tr><th title='tick to overlay curves'>curves</th>" +
      data.columns.map(c =>
        `<th data-column="${esc(c)}" class="sortable">${esc(c)}${arrow(c)}</th>`).join("") +
      "</tr>";
    table.tBodies[0].innerHTML = drawn
      .map(r => `<tr data-trial="${r.trial}">${cells(r)}</tr>`).join("");
    document.getElementById("shown-count").textContent = `${shown.length} of ${rows.length} trials`;
    document.getElementById("page-info").textContent = shown.length ?
      `rows ${first + 1}–${first + drawn.length} of ${shown.length}` +
      (pages > 1 ? ` · page ${view.page + 1} of ${pages}` : "") : "no trial passes the filters";
    document.getElementById("page-prev").disabled = view.page === 0;
    document.getElementById("page-next").disabled = view.page >= pages - 1;
  }
  const again = () => { view.page = 0; render(); };  // a new filter or order starts at page 1
  table.tHead.addEventListener("click", e => {
    const column = e.target.closest("th")?.dataset.column;
    if (!column) return;
    view.descending = column === view.column ? !view.descending
      : isNumeric(column) && column !== "trial";
    view.column = column;
    again();
  });
  table.tBodies[0].addEventListener("change", e => {
    if (!e.target.classList.contains("pick")) return;
    const trial = +e.target.value;
    e.target.checked ? view.selected.add(trial) : view.selected.delete(trial);
    overlay([...view.selected], page);
  });
  const filters = document.getElementById("filters");
  filters.addEventListener("input", again);
  filters.addEventListener("change", again);
  document.getElementById("page-prev").addEventListener("click", () => {
    view.page -= 1; render();
  });
  document.getElementById("page-next").addEventListener("click", () => {
    view.page += 1; render();
  });
  document.getElementById("clear-filters").addEventListener("click", () => {
    document.querySelectorAll("#state-filter input").forEach(i => { i.checked = true; });
    document.querySelectorAll("#filters select, #param-filters input")
      .forEach(i => { i.value = ""; });
    again();
  });
  document.getElementById("clear-selection").addEventListener("click", () => {
    view.selected.clear(); render(); overlay([], page);
  });
  render();
}

function extent(values) {  // [min, max] without spreading 10,000 arguments
  if (!values.length) return ["", ""];
  return values.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)],
                       [Infinity, -Infinity]);
}

// The study page's figures, drawn into its placeholders (div.figure) from the table's columns,
// as sweeper/report/figures.py draws them for report.html; curves and importance come built.
// A scatter of more than page.figures.webgl_points points is WebGL, in this many figures at
// most: Chromium keeps 16 WebGL contexts a page and blanks the oldest figure past that; a
// WebGL scatter takes 2, parallel coordinates 3.
const WEBGL_FIGURES = 6;
function drawFigures(data, rows, page) {
  const t = data.table, metric = t.metric, look = page.figures;
  const has = v => v !== null && v !== undefined;
  const finite = v => typeof num(v) === "number" && isFinite(num(v));
  const done = rows.filter(r => r.outcome === look.completed && has(r.best));
  const named = rs => rs.map(r => "trial " + r.trial);
  const scatter = n => n > look.webgl_points ? "scattergl" : "scatter";
  const column = (rs, c) => rs.map(r => num(r[c]));
  const params = Object.fromEntries(t.params.map(p => [p.name, p]));
  const axis = (text, more) => ({title: {text}, ...more});
  const g3 = v => String(+(+v).toPrecision(3));
  const label = (p, v) => {  // a choice as its axis label; str() in Python
    const i = p.values.findIndex(x => x === v);
    return i >= 0 ? p.labels[i] : has(v) ? String(v) : look.not_sampled;
  };

  function history() {
    const sorted = [...done].sort((a, b) => a.trial - b.trial);
    const pruned = rows.filter(r => r.state === "PRUNED" && has(r.best));
    const better = t.direction === "maximize" ? (a, b) => a > b : (a, b) => a < b;
    let best = null;
    const soFar = sorted.map(r => {
      const v = num(r.best);
      if (best === null || better(v, best)) best = v;
      return best;
    });
    const hover = `trial %{x}<br>${metric} %{y:.4g}<extra></extra>`;
    return {data: [
      {type: scatter(rows.length), x: column(pruned, "trial"), y: column(pruned, "best"),
       mode: "markers", name: "pruned (best epoch)", marker: {color: "#bbb", size: 6},
       hovertemplate: hover},
      {type: scatter(rows.length), x: column(sorted, "trial"), y: column(sorted, "best"),
       mode: "markers", name: "finished", marker: {size: 7, color: "#4c78a8"},
       hovertemplate: hover},
      {type: "scatter", x: column(sorted, "trial"), y: soFar, mode: "lines",
       name: "best so far", line: {shape: "hv", color: "crimson"}, hoverinfo: "skip"},
    ], layout: {title: {text: `${metric} by trial`}, xaxis: axis("trial"),
                yaxis: axis(`best ${metric}`)}};
  }

  function param(div) {
    const p = params[div.dataset.param];
    if (!p) return null;
    const choice = p.kind === "choice";
    const traces = [{type: scatter(done.length),
      x: done.map(r => choice ? label(p, r[p.column]) : r[p.column]), y: column(done, "best"),
      mode: "markers", name: "measured", marker: {size: 7, opacity: 0.6}, text: named(done),
      hovertemplate: `%{text}<br>${p.name} %{x}<br>${metric} %{y:.4g}<extra></extra>`}];
    const published = data.published[p.name];
    if (published) traces.push({type: "scatter", y: published.y.map(num),
      x: choice ? published.x.map(v => label(p, v)) : published.x, mode: "markers",
      name: "published", marker: {symbol: "diamond-open", size: 12, color: "crimson"}});
    const xaxis = choice ? {type: "category", categoryorder: "array", categoryarray: p.labels}
      : p.log ? {type: "log"} : {};
    return {data: traces, layout: {title: {text: `${metric} by ${p.name}`},
      xaxis: axis(p.name, xaxis), yaxis: axis(`best ${metric}`)}};
  }

  function front(div) {  // the metric against one cost, its Pareto front named
    const cost = div.dataset.cost, info = data.cost_fronts[cost];
    if (!info) return null;
    const shown = done.filter(r => finite(r[cost]) && finite(r.best));
    const onFront = new Set(info.front);
    const line = shown.filter(r => onFront.has(r.trial)).sort((a, b) => a[cost] - b[cost]);
    const others = shown.filter(r => !onFront.has(r.trial));
    const yTitle = `best ${metric}`;
    const hover = `%{text}<br>${info.label} %{x:.4g}<br>${yTitle} %{y:.4g}<extra></extra>`;
    const [low, high] = extent(column(shown, cost));
    const log = look.log_costs.includes(cost) && shown.length && low > 0 &&
      high / Math.max(low, 1e-12) > look.log_span;
    return {data: [
      // SVG, as report.html draws it: WebGL contexts go to the figures above (WEBGL_FIGURES).
      {type: "scatter", x: column(others, cost), y: column(others, "best"),
       mode: "markers", name: "other trials", marker: {color: "#bbb", size: 7},
       text: named(others), hovertemplate: hover},
      {type: "scatter", x: column(line, cost), y: column(line, "best"),
       mode: "lines+markers+text", name: "Pareto front", line: {color: "crimson"},
       marker: {color: "crimson", size: 9}, text: named(line), textposition: "top center",
       cliponaxis: false, hovertemplate: hover},
    ], layout: {title: {text: `${metric} against ${info.label} ` +
                         "<span style='color:crimson'>(front)</span>"},
                xaxis: axis(info.label, log ? {type: "log"} : {}), yaxis: axis(yTitle),
                showlegend: false}};
  }

  // One line per finished trial; a conditional parameter a trial did not sample sits on its
  // own tick below the axis (Parcoords drops a line with a missing value).
  function dimension(p, values) {
    const missing = values.map(v => !has(v)), someMissing = missing.some(Boolean);
    if (p.kind === "choice") {
      const codes = values.map((v, i) => missing[i] ? -1 : p.values.findIndex(x => x === v));
      const ticks = p.labels.map((_, i) => i);
      return someMissing
        ? {label: p.name, values: codes, tickvals: [-1, ...ticks],
           ticktext: [look.not_sampled, ...p.labels]}
        : {label: p.name, values: codes, tickvals: ticks, ticktext: p.labels};
    }
    const shown = values.map(v => has(v) ? (p.log ? Math.log10(num(v)) : num(v)) : null);
    const present = shown.filter(v => v !== null);
    const [low, high] = present.length ? extent(present) : [0, 1];
    let ticks;
    if (p.log) {
      ticks = [low, high];
      for (let d = Math.ceil(low); d <= Math.floor(high); d++) ticks.push(d);
      ticks = [...new Set(ticks)].sort((a, b) => a - b);
    } else {
      ticks = high > low ? [0, 1, 2, 3, 4].map(i => low + (high - low) * i / 4) : [low];
    }
    const text = ticks.map(v => g3(p.log ? 10 ** v : v));
    const name = p.log ? `${p.name} (log)` : p.name;
    if (!someMissing) return {label: name, values: shown, range: [low, high], tickvals: ticks,
                              ticktext: text};
    const below = high > low ? low - (high - low) * 0.15 : low - 1;
    return {label: name, values: shown.map(v => v === null ? below : v), range: [below, high],
            tickvals: [below, ...ticks], ticktext: [look.not_sampled, ...text]};
  }
  function parallel() {
    const lines = rows.filter(r => r.state === "COMPLETE" && finite(r.best));
    const values = column(lines, "best");
    return {data: [{type: "parcoords", labelangle: -20, labelside: "top",
      line: {color: values, colorscale: "Viridis", showscale: true},
      dimensions: [...t.params.map(p => dimension(p, lines.map(r => r[p.column]))),
                   {label: metric, values}]}],
      layout: {...look.parallel_layout,
               title: {text: "Parallel coordinates (finished trials)", y: 0.98, yanchor: "top"}}};
  }

  const draw = {history, param, front, parallel,
                curves: () => data.figures.curves, importance: () => data.figures.importance};
  // One figure per task, top to bottom: the table answers clicks while 10,000-point figures
  // are still being drawn. <body data-figures="drawn"> says they all are.
  const queue = [...document.querySelectorAll("div.figure[data-figure]")];
  let webgl = WEBGL_FIGURES;
  (function next() {
    const div = queue.shift();
    if (!div) { document.body.dataset.figures = "drawn"; return; }
    const figure = draw[div.dataset.figure]?.(div);
    if (figure && figure.data.some(trace => trace.type === "scattergl")) {
      if (webgl > 0) webgl -= 1;  // past the budget: SVG, slower to draw but never blanked
      else figure.data.forEach(trace => { if (trace.type === "scattergl") trace.type = "scatter"; });
    }
    if (figure) {
      // The template's name in look.layout gives way to the template itself, sent in data.
      const layout = {...look.layout, ...figure.layout, template: data.template};
      Plotly.newPlot(div, figure.data, layout, {responsive: true, displaylogo: false});
    }
    setTimeout(next, 0);
  })();
}

// The picked trials' curves side by side: loss, accuracy, lr; train dashed, val solid.
function overlay(trials, page) {
  if (!window.Plotly) { plotlyReady.then(() => overlay(trials, page)); return; }
  const chart = document.getElementById("compare");
  chart.hidden = !trials.length;
  if (!trials.length) { Plotly.purge(chart); return; }
  fetch(page.curvesUrl + "?trials=" + trials.join(","), {cache: "no-store"})
    .then(r => r.json()).then(curves => {
      const has = c => Object.values(curves).some(t => t[c]);
      const look = page.figures;
      const present = look.panels.filter(([, columns]) => columns.some(has));
      const panels = present.length ? present : [[page.metric, [page.metric], false]];
      const traces = [], layout = {
        ...look.layout, margin: {...look.layout.margin, t: 60},  // room for the panels' titles
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
            line: {color: look.colours[k % look.colours.length],
                   dash: c.startsWith("train") ? "dash" : "solid"},
            hovertemplate: `trial ${trial} ${c}<br>epoch %{x}: %{y:.4g}<extra></extra>`}));
        });
      });
      Plotly.react(chart, traces, layout, {responsive: true, displaylogo: false});
    });
}
"""
