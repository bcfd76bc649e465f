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

/**
 * A query variable's `label_values(metric{selector}, label)` as the PromQL that finds the same values
 * (`count by (label) (metric{selector})`), so a test can resolve it against Prometheus as Grafana would.
 */
export function labelValuesAsPromql(variable: DashboardVariable): { promql: string; label: string } {
  const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
  const match = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query.trim());
  if (!match) throw new Error(`variable ${variable.name}: not a label_values(metric, label) query: ${query}`);
  const [, selector, label] = match as unknown as [string, string, string];
  return { promql: `count by (${label}) (${selector})`, label };
}
