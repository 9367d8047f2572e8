"""Plotly figures drawn from a report's frames; no computing happens here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from sweeper.report.frames import finished, param_column

# Curve panels: title → (columns, whether the y axis is logarithmic).
PANELS = {
    "loss": (["train_loss", "val_loss"], False),
    "accuracy (%)": (["train_acc", "val_acc"], False),
    "learning rate": (["lr"], True),
}
COLOURS = qualitative.D3  # one per trial in the learning curves
# Above this many points a scatter switches to WebGL, which stays smooth at 10,000 trials.
WEBGL_POINTS = 1000
LAYOUT = dict(template="plotly_white", margin=dict(l=50, r=20, t=40, b=40), height=340)
# Parallel coordinates: taller, with room for slanted labels above and the colour bar beside.
PARALLEL_LAYOUT = {**LAYOUT, "height": 420, "margin": dict(l=70, r=70, t=110, b=30)}
NOT_SAMPLED = "not sampled"  # the tick of a conditional parameter a trial did not sample
# Costs whose axis turns logarithmic when their largest value is over LOG_SPAN times their
# smallest: seconds, parameters and memory often span orders of magnitude.
LOG_COSTS = ("seconds", "n_params", "peak_mem_mb")
LOG_SPAN = 100


def curves_figure(curves: pd.DataFrame, metric: str, title: str = "Learning curves") -> go.Figure:
    """Train (dashed) and val (solid) loss and accuracy, and lr, by epoch: one colour per trial."""
    panels = {
        name: cols
        for name, (cols, _) in PANELS.items()
        if any(c in curves and curves[c].notna().any() for c in cols)
    }
    if not panels:  # plain Optuna studies: only the reported value per step
        panels = {metric: [metric]}
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels))
    for i, (trial, rows) in enumerate(curves.groupby("trial", sort=False)):
        colour = COLOURS[i % len(COLOURS)]
        for col_index, columns in enumerate(panels.values(), 1):
            for column in columns:
                if column not in rows or rows[column].isna().all():
                    continue
                fig.add_trace(
                    go.Scatter(
                        x=rows["epoch"],
                        y=rows[column],
                        # A lone epoch is no line: a marker shows it.
                        mode="lines" if len(rows) > 1 else "markers",
                        name=f"trial {trial}",
                        legendgroup=str(trial),
                        showlegend=col_index == 1 and column == columns[-1],
                        line=dict(
                            color=colour, dash="dash" if column.startswith("train") else "solid"
                        ),
                        hovertemplate=f"trial {trial} {column}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                    ),
                    row=1,
                    col=col_index,
                )
    whole_epochs = (
        dict(dtick=1) if len(curves) and curves["epoch"].max() <= 20 else {}
    )  # no "epoch 1.5" ticks
    for col_index, name in enumerate(panels, 1):
        fig.update_xaxes(title_text="epoch", row=1, col=col_index, **whole_epochs)
        if PANELS.get(name, (None, False))[1]:
            fig.update_yaxes(type="log", row=1, col=col_index)
    fig.update_layout(
        title=title + " (dashed: train, solid: val)",
        **{**LAYOUT, "margin": dict(l=50, r=20, t=80, b=40)},
    )
    return fig


def history_figure(trials: pd.DataFrame, metric: str, direction: str) -> go.Figure:
    """Each trial's best metric by trial number, pruned ones apart, and the best so far: is the
    sampler still finding better trials, or has the study converged?"""
    done = trials[finished(trials) & trials["best"].notna()].sort_values("trial")
    pruned = trials[(trials["state"] == "PRUNED") & trials["best"].notna()]
    best_so_far = done["best"].cummax() if direction == "maximize" else done["best"].cummin()
    scatter = go.Scattergl if len(trials) > WEBGL_POINTS else go.Scatter
    hover = f"trial %{{x}}<br>{metric} %{{y:.4g}}<extra></extra>"
    fig = go.Figure(
        [
            scatter(
                x=pruned["trial"],
                y=pruned["best"],
                mode="markers",
                name="pruned (best epoch)",
                marker=dict(color="#bbb", size=6),
                hovertemplate=hover,
            ),
            scatter(
                x=done["trial"],
                y=done["best"],
                mode="markers",
                name="finished",
                marker=dict(size=7, color="#4c78a8"),
                hovertemplate=hover,
            ),
            go.Scatter(
                x=done["trial"],
                y=best_so_far,
                mode="lines",
                name="best so far",
                line=dict(shape="hv", color="crimson"),
                hoverinfo="skip",
            ),
        ]
    )
    fig.update_layout(
        title=f"{metric} by trial", xaxis_title="trial", yaxis_title=f"best {metric}", **LAYOUT
    )
    return fig


def param_figure(
    trials: pd.DataFrame, name: str, dim: dict, table: pd.DataFrame, metric: str
) -> go.Figure:
    """Each finished trial's best metric against the parameter, with the published numbers."""
    done = trials[finished(trials) & trials["best"].notna()]
    x = done[param_column(name)]
    categorical = dim.get("kind") == "choice"
    scatter = go.Scattergl if len(done) > WEBGL_POINTS else go.Scatter
    fig = go.Figure(
        scatter(
            x=x.astype(str) if categorical else x,
            y=done["best"],
            mode="markers",
            name="measured",
            marker=dict(size=7, opacity=0.6),
            text=done["trial"].map("trial {}".format),
            hovertemplate=f"%{{text}}<br>{name} %{{x}}<br>{metric} %{{y:.4g}}<extra></extra>",
        )
    )
    if "reference" in table:
        ref = table.dropna(subset=["reference"])
        fig.add_trace(
            go.Scatter(
                x=ref[name].astype(str) if categorical else ref[name],
                y=ref["reference"],
                mode="markers",
                name="published",
                marker=dict(symbol="diamond-open", size=12, color="crimson"),
            )
        )
    if categorical:
        fig.update_xaxes(
            type="category", categoryorder="array", categoryarray=[str(v) for v in dim["values"]]
        )
    elif dim.get("log") or dim.get("kind") == "loguniform":
        fig.update_xaxes(type="log")
    fig.update_layout(
        title=f"{metric} by {name}", xaxis_title=name, yaxis_title=f"best {metric}", **LAYOUT
    )
    return fig


def importance_figure(importance: pd.DataFrame) -> go.Figure:
    ordered = importance.iloc[::-1]  # plotly draws bars bottom-up; most important on top
    fig = go.Figure(go.Bar(x=ordered["importance"], y=ordered["param"], orientation="h"))
    fig.update_layout(
        title="Parameter importance (Optuna)",
        xaxis_title="share of the metric's variance",
        **{**LAYOUT, "height": 130 + 35 * len(importance)},
    )
    return fig


def parallel_figure(parallel: pd.DataFrame, space: dict, metric: str) -> go.Figure:
    """One line per finished trial across its parameters, coloured by the metric.

    A conditional parameter a trial did not sample (momentum for adam) sits on its own tick,
    "not sampled", below the axis' values, as Optuna's own plot does: Parcoords drops every
    line with a NaN, which hid most trials."""
    dimensions = []
    for name, dim in space.items():
        column = param_column(name)
        if column in parallel:
            dimensions.append(_parallel_dimension(name, dim, parallel[column]))
    dimensions.append(dict(label=metric, values=parallel[metric]))
    fig = go.Figure(
        go.Parcoords(
            line=dict(color=parallel[metric], colorscale="Viridis", showscale=True),
            dimensions=dimensions,
            labelangle=-20,  # long names side by side stay apart
            labelside="top",
        )
    )
    fig.update_layout(
        title=dict(text="Parallel coordinates (finished trials)", y=0.98, yanchor="top"),
        **PARALLEL_LAYOUT,
    )
    return fig


def _parallel_dimension(name: str, dim: dict, values: pd.Series) -> dict:
    missing = values.isna()
    if dim.get("kind") == "choice":
        labels = [str(v) for v in dim["values"]]
        codes = values.astype(str).map({label: i for i, label in enumerate(labels)})
        ticks = list(range(len(labels)))
        if missing.any():
            return dict(
                label=name,
                values=codes.where(~missing, -1),
                tickvals=[-1, *ticks],
                ticktext=[NOT_SAMPLED, *labels],
            )
        return dict(label=name, values=codes, tickvals=ticks, ticktext=labels)
    log = dim.get("log") or dim.get("kind") == "loguniform"
    # Parcoords has no log axis: plot log10 and label the ticks with the real values.
    shown = np.log10(values.astype(float)) if log else values.astype(float)
    low, high = (shown.min(), shown.max()) if shown.notna().any() else (0.0, 1.0)
    if log:
        # Decades inside the values' range and its two ends: ticks outside it would be drawn
        # past the plot.
        inside = range(math.ceil(low), math.floor(high) + 1)
        ticks = sorted({low, *inside, high})
        text = [f"{10**t:.3g}" for t in ticks]
    else:
        ticks = list(np.linspace(low, high, 5)) if high > low else [low]
        text = [f"{t:.3g}" for t in ticks]
    label = f"{name} (log)" if log else name
    if not missing.any():
        return dict(label=label, values=shown, range=[low, high], tickvals=ticks, ticktext=text)
    below = low - (high - low) * 0.15 if high > low else low - 1.0
    return dict(
        label=label,
        values=shown.where(~missing, below),
        range=[below, high],
        tickvals=[below, *ticks],
        ticktext=[NOT_SAMPLED, *text],
    )


def pareto_figure(
    trials: pd.DataFrame, x: str, y: str, front: list, x_title: str, y_title: str, title: str
) -> go.Figure:
    """Every trial with both values as a grey point, the front's trials joined by a line and
    named, so a person reads off which trial buys how much of `y` for how much of `x`."""
    shown = trials.dropna(subset=[x, y])
    on_front = shown[shown["trial"].isin(front)].sort_values(x)
    others = shown[~shown["trial"].isin(front)]
    hover = f"%{{text}}<br>{x_title} %{{x:.4g}}<br>{y_title} %{{y:.4g}}<extra></extra>"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=others[x],
            y=others[y],
            mode="markers",
            name="other trials",
            marker=dict(color="#bbb", size=7),
            text=others["trial"].map("trial {}".format),
            hovertemplate=hover,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=on_front[x],
            y=on_front[y],
            mode="lines+markers+text",
            name="Pareto front",
            line=dict(color="crimson"),
            marker=dict(color="crimson", size=9),
            text=on_front["trial"].map("trial {}".format),
            textposition="top center",
            cliponaxis=False,  # names at the plot's edge stay whole
            hovertemplate=hover,
        )
    )
    if x in LOG_COSTS and (shown[x] > 0).all() and len(shown):
        if shown[x].max() / max(shown[x].min(), 1e-12) > LOG_SPAN:
            fig.update_xaxes(type="log")
    fig.update_layout(
        title=f"{title} <span style='color:crimson'>(front)</span>",
        xaxis_title=x_title,
        yaxis_title=y_title,
        showlegend=False,
        **LAYOUT,
    )
    return fig
