import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './service-environment.js';

/** The one dashboard file: the chart's ConfigMap reads it with .Files.Get, tests and tools read it here. */
export const DASHBOARD_FILE = join(ROOT, 'charts/shaservice/files/grafana-dashboard.json');

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: DashboardTarget[];
  /** A row's panels, when the row is collapsed; an open row's panels follow it at the top level. */
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query: string | { query: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  templating: { list: DashboardVariable[] };
  panels: DashboardPanel[];
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel that queries something, rows (open or collapsed) looked into. */
export function queryPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels
    .flatMap((panel) => [panel, ...(panel.panels ?? [])])
    .filter((panel) => panel.type !== 'row');
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` as Grafana does before sending a query. Longer names go first,
 * so that `$__rate_interval` is never read as `$__rate` followed by text.
 */
export function substituteVariables(text: string, values: Record<string, string>): string {
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let result = text;
  for (const name of names) {
    const value = values[name] ?? '';
    result = result
      .replaceAll(`\${${name}}`, value)
      .replaceAll(`[[${name}]]`, value)
      // Variable names are identifiers, so the name needs no escaping inside the pattern.
      .replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), () => value);
  }
  return result;
}

/** The labels a legend such as `{{route}} {{status}}` reads from each series. */
export function legendLabels(legendFormat: string | undefined): string[] {
  return [...(legendFormat ?? '').matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1] ?? '');
}

/** A query variable's `label_values(metric{selector}, label)`, split into its parts. */
export function labelValuesQuery(variable: DashboardVariable): { match: string; label: string } {
  const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
  const parts = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query.trim());
  if (!parts?.[1] || !parts[2])
    throw new Error(`variable ${variable.name}: not a label_values(metric, label) query: ${query}`);
  return { match: parts[1], label: parts[2] };
}

/**
 * A query variable's values, asked of Prometheus as Grafana asks them (`/api/v1/label/<label>/values` with the
 * metric selector as `match[]`), with the variables before it substituted.
 */
export async function variableValues(
  prometheusUrl: string,
  variable: DashboardVariable,
  known: Record<string, string>,
): Promise<string[]> {
  const { match, label } = labelValuesQuery(variable);
  const selector = encodeURIComponent(substituteVariables(match, known));
  const url = `${prometheusUrl}/api/v1/label/${label}/values?match[]=${selector}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data?: string[] };
  if (body.status !== 'success') throw new Error(`${url} failed: ${JSON.stringify(body)}`);
  return body.data ?? [];
}

/**
 * Every query variable resolved in dashboard order, each to its first value (what Grafana selects on a first
 * load), or undefined when a variable has none yet; `$__rate_interval` is given, as Grafana derives it.
 */
export async function resolveVariables(
  prometheusUrl: string,
  dashboard: Dashboard,
  rateInterval: string,
): Promise<Record<string, string> | undefined> {
  const values: Record<string, string> = { __rate_interval: rateInterval };
  for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
    const [first] = (await variableValues(prometheusUrl, variable, values)).sort();
    if (first === undefined) return undefined;
    values[variable.name] = first;
  }
  return values;
}
