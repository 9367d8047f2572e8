"""The dashboard's pages: Jinja templates; their scripts live in scripts.py.

Kept as Python strings so they ship inside the package with no package-data setup.
"""

STYLE = """
nav { margin-bottom: 12px; } nav a { font-weight: 600; text-decoration: none; }
.bar { background: #eee; border-radius: 4px; width: 120px; height: 12px; display: inline-block;
  vertical-align: middle; }
.bar > span { background: #4c78a8; height: 100%; display: block; border-radius: 4px; }
.live { background: #f7fafc; border: 1px solid #dde6ee; border-radius: 6px;
  padding: 4px 14px 10px; margin: 12px 0; }
.files a { margin-right: 12px; }
.notice { background: #fff7d6; padding: 6px 10px; border-radius: 4px; }
/* Long text wraps instead of pushing the table's numbers off screen. */
table.table td.wrap, #studies td.study { white-space: normal; text-align: left; }
#studies { width: 100%; } #studies td.study { max-width: 560px; min-width: 220px; }
#studies .description { display: -webkit-box; -webkit-line-clamp: 3;
  -webkit-box-orient: vertical; overflow: hidden; }
p.description { max-width: 110ch; }
#filters { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; margin: 8px 0; }
#filters details { flex-basis: 100%; }
#param-filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
  gap: 4px 14px; margin-top: 6px; }
.pf { display: flex; gap: 4px; align-items: center; }
.pf .pname { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pf input { width: 72px; } .pf select { max-width: 150px; }
th.sortable { cursor: pointer; user-select: none; }
#trials-scroll { max-height: 560px; overflow: auto; }
#pager button { min-width: 2.2em; }
div.figure { min-height: 340px; }
pre.traceback { background: #fbf1f1; border: 1px solid #eccaca; padding: 10px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
table.attrs { table-layout: fixed; width: 100%; }
table.attrs td { white-space: normal; overflow-wrap: anywhere; }
table.attrs td:first-child { width: 160px; } table.attrs td:last-child { text-align: left; }
"""

_HEAD = """<!doctype html><html><head><meta charset="utf-8">
<title>{{ title }} — sweeper</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><style>{{ style|safe }}</style>
{% if plotly_later -%}
<link rel="preload" href="{{ script_url('plotly_js') }}" as="script">
{%- else %}<script src="{{ script_url('plotly_js') }}"></script>{% endif %}
<script src="{{ script_url('dashboard_js') }}"></script></head><body>
<nav><a href="{{ url_for('studies') }}">sweeper</a>
<span class="muted">· {{ storage }}</span></nav>
"""


def _page(content: str, script: str) -> str:
    return _HEAD + content + "<script>" + script + "</script></body></html>"


STUDIES = _page(
    """
<h1>Studies</h1>
<table class="table" id="studies"><thead><tr><th>study</th><th>progress</th><th>completed</th>
<th title="paused (they may resume) or pruned">stopped</th>
<th title="failed, diverged, gave up or lost">failed</th><th>running</th><th>waiting</th>
<th>best</th><th>metric</th></tr></thead><tbody></tbody></table>
<p class="muted" id="updated"></p>
""",
    """
const STUDIES_URL = {{ url_for('studies_json')|tojson }};
const STUDY_URL = {{ url_for('study', name='NAME')|tojson }};
function renderStudies(studies) {
  document.querySelector("#studies tbody").innerHTML = studies.map(s => {
    const done = s.done, budget = s.n_trials || s.trials || 1;
    const pct = Math.min(100, Math.round(100 * done / budget));
    const best = s.objectives > 1 ? `Pareto front (${s.objectives} objectives)` : fmt(s.best);
    const link = STUDY_URL.replace("NAME", encodeURIComponent(s.name));
    const about = esc(s.description || "");
    return `<tr><td class="study"><a href="${link}">${esc(s.name)}</a>` +
      `<div class="muted description" title="${about}">${about}</div></td>` +
      `<td><span class="bar"><span style="width:${pct}%"></span></span> ` +
      `${done}${s.n_trials ? " / " + s.n_trials : ""}</td>` +
      // The statuses of sweeper/outcomes.py, in the columns a list of studies has room for.
      [s.completed, s.paused + s.pruned, s.failed + s.diverged + s["gave up"] + s.lost,
       s.running, s.waiting].map(n => `<td>${n}</td>`).join("") +
      `<td>${esc(best)}</td><td>${esc(s.metric)} (${esc(s.direction)})</td></tr>`;
  }).join("") || "<tr><td colspan=9>No studies in this storage yet.</td></tr>";
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
}
renderStudies({{ studies|tojson }});
poll(STUDIES_URL, renderStudies);
""",
)

STUDY = _page(
    """
{{ header|safe }}
<div class="live" id="live"><h2 style="margin-top:10px">Live</h2>
<p id="live-status" class="muted">loading…</p>
<p id="stale" class="notice" hidden>New trials have finished since this page was built —
 <a href="">reload</a> to update the tables.</p>
<table class="table" id="running" hidden><thead><tr><th>running trial</th><th>epoch</th>
<th>{{ report.metric }}</th><th>params</th><th>started</th></tr></thead><tbody></tbody></table>
<div id="live-curve" hidden></div>
<p>Recently finished: <span id="recent"></span></p></div>
<p class="files">Download: {% for f in files %}
<a href="{{ url_for('download', name=name, filename=f) }}">{{ f }}</a> {% endfor %}</p>
<h2>Trials</h2>
<div id="filters"><span id="state-filter"></span>
<label>outcome <select id="reason-filter"></select></label>
<button type="button" id="clear-filters">clear filters</button>
<span id="shown-count" class="muted"></span>
<details><summary>filter by parameter ranges (<span id="param-count"></span> parameters)</summary>
<div id="param-filters"></div></details></div>
<p class="muted">Tick trials to overlay their curves.
<button type="button" id="clear-selection">clear selection</button></p>
<div id="compare" hidden></div>
<p id="pager"><button type="button" id="page-prev" title="previous page">‹</button>
<span id="page-info" class="muted">loading trials…</span>
<button type="button" id="page-next" title="next page">›</button></p>
<div class="scroll" id="trials-scroll">
<table class="table" id="trials"><thead></thead><tbody></tbody></table></div>
{{ sections|safe }}
""",
    """
const TRIAL_URL = {{ url_for('trial', name=name, number=0)|tojson }};
const PAGE = {
  version: {{ version|tojson }}, metric: {{ report.metric|tojson }},
  curvesUrl: {{ url_for('curves_json', name=name)|tojson }}, figures: {{ figures|tojson }},
  trialLink: n => `<a href="${TRIAL_URL.replace(/0$/, n)}">${n}</a>`,
};
// The table and figures come as one compact JSON after the page (explorer.py).
// plotly.js (4.7 MB of script) runs once the table is drawn: the table does not wait for it,
// the figures do.
fetch({{ url_for('data_json', name=name)|tojson }}).then(r => r.json()).then(data => {
  const rows = rowsOf(data.table);
  trialTable(data.table, rows, PAGE);
  plotlyReady.then(() => drawFigures(data, rows, PAGE));
}).finally(() => loadPlotly({{ script_url('plotly_js')|tojson }}));
poll({{ url_for('live', name=name)|tojson }}, d => plotlyReady.then(() => renderLive(d, PAGE)));
""",
)

TRIAL = _page(
    """
<p><a href="{{ url_for('study', name=name) }}">{{ name }}</a> / trial {{ d.trial }}</p>
<h1>Trial {{ d.trial }} <span class="muted">{{ d.state }}
{%- if d.attrs.stop_reason %} — {{ d.attrs.stop_reason }}{% endif %}</span></h1>
<p>{% for objective, value in d["values"].items() %}{{ objective }}: <b>{{ fmt(value) }}</b> ·
{% else %}{{ metric }}: <b>—</b> · {% endfor %}
started {{ fmt(d.started) or "—" }} · finished {{ fmt(d.completed) or "—" }}</p>
{% if traceback %}<h2>Traceback</h2><pre class="traceback">{{ traceback }}</pre>{% endif %}
<h2>Params</h2><table class="table">{% for k, v in d.params.items() %}
<tr><td>{{ k }}</td><td>{{ fmt(v) }}</td></tr>{% endfor %}</table>
{{ figure|safe }}
{% if epochs %}<h2>Epochs</h2><div class="scroll">{{ epochs|safe }}</div>{% endif %}
<h2>Attributes</h2><table class="table attrs">{% for k, v in attrs.items() %}<tr><td>{{ k }}</td>
<td>{% if v is mapping %}<div style="columns: 3 220px">
{% for ck, cv in v.items() %}<div><span class="muted">{{ ck }}</span> {{ fmt(cv) }}</div>
{% endfor %}</div>{% else %}{{ fmt(v) }}{% endif %}</td></tr>{% endfor %}</table>
""",
    "",
)
