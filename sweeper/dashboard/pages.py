"""The dashboard's pages: Jinja templates and the small scripts that poll the JSON endpoints.

Kept as Python strings so they ship inside the package with no package-data setup.
"""

STYLE = """
nav { margin-bottom: 12px; } nav a { font-weight: 600; text-decoration: none; }
.bar { background: #eee; border-radius: 4px; width: 180px; height: 12px; display: inline-block; vertical-align: middle; }
.bar > span { background: #4c78a8; height: 100%; display: block; border-radius: 4px; }
.live { background: #f7fafc; border: 1px solid #dde6ee; border-radius: 6px; padding: 4px 14px 10px; margin: 12px 0; }
.files a { margin-right: 12px; } .notice { background: #fff7d6; padding: 6px 10px; border-radius: 4px; }
"""

_HEAD = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }} — sweeper</title>
<link rel="icon" href="data:,"><style>{{ style|safe }}</style><script src="{{ url_for('plotly_js') }}"></script></head><body>
<nav><a href="{{ url_for('studies') }}">sweeper</a> <span class="muted">· {{ storage }}</span></nav>
"""
_FOOT = """
<script>
// Shared by the pages: numbers as the tables print them, and HTML escaping for names.
function fmt(v) { return v === null || v === undefined ? "" : (typeof v === "number" ? +v.toPrecision(4) + "" : String(v)); }
function esc(s) { return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
function poll(url, render) {  // every 2 s, without reloading the page
  const tick = () => fetch(url, {cache: "no-store"}).then(r => r.json()).then(render).catch(() => {});
  tick(); setInterval(tick, 2000);
}
</script>"""


def _page(content: str, script: str) -> str:
    return _HEAD + content + _FOOT + "<script>" + script + "</script></body></html>"


STUDIES = _page(
    """
<h1>Studies</h1>
<table class="table" id="studies"><thead><tr><th>study</th><th>progress</th><th>finished</th><th>pruned</th>
<th>failed</th><th>running</th><th>best</th><th>metric</th></tr></thead><tbody></tbody></table>
<p class="muted" id="updated"></p>
""",
    """
const STUDIES_URL = {{ url_for('studies_json')|tojson }}, STUDY_URL = {{ url_for('study', name='NAME')|tojson }};
function renderStudies(studies) {
  document.querySelector("#studies tbody").innerHTML = studies.map(s => {
    const done = s.COMPLETE + s.PRUNED + s.FAIL, budget = s.n_trials || done || 1;
    const pct = Math.min(100, Math.round(100 * done / budget));
    return `<tr><td><a href="${STUDY_URL.replace("NAME", encodeURIComponent(s.name))}">${esc(s.name)}</a>` +
      `<div class="muted">${esc(s.description || "")}</div></td>` +
      `<td><span class="bar"><span style="width:${pct}%"></span></span> ${done}${s.n_trials ? " / " + s.n_trials : ""}</td>` +
      `<td>${s.COMPLETE}</td><td>${s.PRUNED}</td><td>${s.FAIL}</td><td>${s.RUNNING}</td>` +
      `<td>${fmt(s.best)}</td><td>${esc(s.metric)} (${esc(s.direction)})</td></tr>`;
  }).join("") || "<tr><td colspan=8>No studies in this storage yet.</td></tr>";
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
}
renderStudies({{ studies|tojson }});
poll(STUDIES_URL, renderStudies);
""",
)

STUDY = _page(
    """
<div class="live" id="live"><h2 style="margin-top:10px">Live</h2>
<p id="live-status" class="muted">loading…</p>
<p id="stale" class="notice" hidden>New trials have finished since this page was built —
 <a href="">reload</a> to update the tables.</p>
<table class="table" id="running"><thead><tr><th>running trial</th><th>epoch</th><th>{{ report.metric }}</th>
<th>params</th><th>started</th></tr></thead><tbody></tbody></table>
<div id="live-curve"></div>
<p>Recently finished: <span id="recent"></span></p></div>
<p class="files">Download: {% for f in files %}<a href="{{ url_for('download', name=name, filename=f) }}">{{ f }}</a>{% endfor %}</p>
{{ body|safe }}
""",
    """
const LIVE_URL = {{ url_for('live', name=name)|tojson }}, TRIAL_URL = {{ url_for('trial', name=name, number=0)|tojson }};
const VERSION = {{ version|tojson }};
const trialLink = n => `<a href="${TRIAL_URL.replace(/0$/, n)}">${n}</a>`;
function renderLive(d) {
  const c = d.counts, done = c.COMPLETE + c.PRUNED + c.FAIL;
  document.getElementById("live-status").textContent = `${done}${d.n_trials ? " of " + d.n_trials : ""} trials done ` +
    `(${c.COMPLETE} complete, ${c.PRUNED} pruned, ${c.FAIL} failed), ${c.RUNNING} running, ${c.WAITING} waiting — ` +
    `best ${d.metric} ${fmt(d.best) || "—"} · updated ${new Date(d.time * 1000).toLocaleTimeString()}`;
  document.getElementById("stale").hidden = JSON.stringify(d.version) === JSON.stringify(VERSION);
  document.querySelector("#running tbody").innerHTML = d.running.map(t =>
    `<tr><td>${trialLink(t.trial)}</td><td class="epoch">${t.epoch}</td><td>${fmt(t.last[d.metric])}</td>` +
    `<td>${esc(Object.entries(t.params).map(([k, v]) => k + "=" + fmt(v)).join(", "))}</td>` +
    `<td>${t.started ? new Date(t.started + "Z").toLocaleTimeString() : ""}</td></tr>`).join("") ||
    "<tr><td colspan=5 class='muted'>no trial is running</td></tr>";
  document.getElementById("recent").innerHTML = d.recent.map(r =>
    `trial ${trialLink(r.trial)} ${r.state.toLowerCase()} ${fmt(r.value)}`).join(" · ") || "none yet";
  const maxEpoch = Math.max(1, ...d.running.map(t => t.epoch));  // whole epochs on the axis
  const traces = d.running.map(t => ({x: t.curve.epoch, y: t.curve[d.metric], mode: "lines+markers", name: "trial " + t.trial}));
  Plotly.react("live-curve", traces, {title: {text: d.metric + " of the running trials, by epoch"}, height: 300,
    template: "plotly_white", margin: {l: 50, r: 20, t: 40, b: 40},
    xaxis: {title: {text: "epoch"}, tickformat: "d", dtick: maxEpoch <= 20 ? 1 : undefined}});
}
poll(LIVE_URL, renderLive);
""",
)

TRIAL = _page(
    """
<p><a href="{{ url_for('study', name=name) }}">{{ name }}</a> / trial {{ d.trial }}</p>
<h1>Trial {{ d.trial }} <span class="muted">{{ d.state }}{% if d.attrs.stop_reason %} — {{ d.attrs.stop_reason }}{% endif %}</span></h1>
<p>{{ metric }}: <b>{{ fmt(d.value) or "—" }}</b> · started {{ fmt(d.started) or "—" }} · finished {{ fmt(d.completed) or "—" }}</p>
<h2>Params</h2><table class="table">{% for k, v in d.params.items() %}<tr><td>{{ k }}</td><td>{{ fmt(v) }}</td></tr>{% endfor %}</table>
{{ figure|safe }}
<h2>Epochs</h2><div class="scroll">{{ epochs|safe }}</div>
<h2>Attributes</h2><table class="table">{% for k, v in d.attrs.items() %}<tr><td>{{ k }}</td>
<td style="text-align:left; white-space:normal">{% if v is mapping %}<div style="columns: 3 220px">
{% for ck, cv in v.items() %}<div><span class="muted">{{ ck }}</span> {{ fmt(cv) }}</div>{% endfor %}</div>
{% else %}{{ fmt(v) }}{% endif %}</td></tr>{% endfor %}</table>
""",
    "",
)
