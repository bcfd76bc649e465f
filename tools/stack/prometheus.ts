import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillAlertRules } from './alert-rules.js';
import { Child } from './child.js';
import { statusOf } from './probe.js';

export interface PrometheusOptions {
  dir: string;
  port: number;
  /** Metrics ports of the replicas, all on 127.0.0.1. */
  targetPorts: number[];
}

/** The namespace label the stack's targets get, as a ServiceMonitor's do: the dashboard and the alerts select on it. */
export const STACK_NAMESPACE = 'shaservice-stack';

/**
 * The chart's alert rules for the stack's one job, with windows and durations short enough for a test to see an
 * alert fire within seconds (a window of ten 1 s scrapes; the chart's defaults are minutes).
 */
export const STACK_ALERT_PLACEHOLDERS = {
  GROUP: 'shaservice',
  // The chart's selector, for the stack's namespace and job.
  SELECTOR: `namespace="${STACK_NAMESPACE}", job="shaservice"`,
  RATE_WINDOW: '10s',
  ERROR_RATIO: 0.05,
  // Above what two shared cores give a healthy stack under a test's load, so that only a real slowdown fires.
  LATENCY_P99_SECONDS: 1,
  FOR: '3s',
  REDIS_UNAVAILABLE_FOR: '2s',
  TARGET_DOWN_FOR: '2s',
};

/** Beside prometheus.yml, which names it relative to itself. */
export const ALERT_RULES_FILE_NAME = 'alerts.yml';

/** The stack's rules file: the chart's alerts, filled for the stack. */
export function stackAlertRules(): string {
  return `# Written by tools/stack/prometheus.ts for this run from charts/shaservice/files/alerts.yaml; edits are lost.\n${fillAlertRules(STACK_ALERT_PLACEHOLDERS)}`;
}

/** One job scraping every replica's metrics port each second, as a ServiceMonitor would per pod. */
export function prometheusConfig(targetPorts: number[]): string {
  const targets = targetPorts.map((port) => `'127.0.0.1:${port}'`).join(', ');
  return `# Written by tools/stack/prometheus.ts for this run; edits are lost.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [${ALERT_RULES_FILE_NAME}]
scrape_configs:
  - job_name: shaservice
    metrics_path: /metrics
    static_configs:
      - targets: [${targets}]
        labels: { namespace: ${STACK_NAMESPACE} }
`;
}

/** Starts Prometheus with its data in `dir`, answering once it says it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<Child> {
  const { dir, port, targetPorts } = options;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(join(dir, ALERT_RULES_FILE_NAME), stackAlertRules());
  writeFileSync(configFile, prometheusConfig(targetPorts));
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ];
  const prometheus = Child.spawn('prometheus', 'prometheus', args, {
    logFile: join(dir, 'prometheus.log'),
    detached: true,
  });
  const ready = async () => (await statusOf(`http://127.0.0.1:${port}/-/ready`)) === 200;
  await prometheus.waitUntil('Prometheus to be ready', ready, 20_000, 100);
  return prometheus;
}
