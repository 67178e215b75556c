/**
 * Grafana dashboards as JSON models, for the chart's dashboard sidecar (kube-prometheus-stack
 * loads every ConfigMap carrying its label). One layout for every variant's board: time series
 * panels two per row, each with its own unit and PromQL targets, on a selectable Prometheus source.
 */

/** One PromQL query of a panel and its legend. */
export interface Target { expr: string; legendFormat: string }

/** One time-series panel. */
export interface PanelSpec { title: string; description: string; unit: string; targets: Target[]; max?: number }

export const target = (expr: string, legendFormat: string): Target => ({ expr, legendFormat });

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

/** What tells one board from another. */
export interface DashboardSpec {
  /** Stable across deploys, so links and bookmarks keep working. */
  uid: string;
  title: string;
  description: string;
  tags: string[];
  panels: PanelSpec[];
}

/** The dashboard model (Grafana's JSON). */
export function timeSeriesDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels = spec.panels.map((p, i) => ({
    id: i + 1,
    type: "timeseries",
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit, min: 0, ...(p.max !== undefined ? { max: p.max } : {}) }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "none" } },
    targets: p.targets.map((x, j) => ({ refId: String.fromCharCode(65 + j), datasource: DATASOURCE, expr: x.expr, legendFormat: x.legendFormat, range: true })),
  }));
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: false,
    graphTooltip: 1,
    refresh: "10s",
    time: { from: "now-30m", to: "now" },
    templating: {
      list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1 }],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}
