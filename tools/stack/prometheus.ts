import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child } from './child.js';
import { statusOf } from './probe.js';

export interface PrometheusOptions {
  dir: string;
  port: number;
  /** Metrics ports of the replicas, all on 127.0.0.1. */
  targetPorts: number[];
}

/** One job scraping every replica's metrics port each second, as a ServiceMonitor would per pod. */
export function prometheusConfig(targetPorts: number[]): string {
  const targets = targetPorts.map((port) => `'127.0.0.1:${port}'`).join(', ');
  return `# Written by tools/stack/prometheus.ts for this run; edits are lost.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: shaservice
    metrics_path: /metrics
    static_configs:
      - targets: [${targets}]
        labels: { namespace: shaservice-stack } # as a ServiceMonitor's targets; dashboards select on it
`;
}

/** Starts Prometheus with its data in `dir`, answering once it says it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<Child> {
  const { dir, port, targetPorts } = options;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
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
