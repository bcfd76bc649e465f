import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { CHART_DIR, renderChart } from '../../tools/chart/render.js';
import { ALERT_RULES_FILE, fillAlertRules } from '../../tools/stack/alert-rules.js';
import { stackAlertRules } from '../../tools/stack/prometheus.js';
import { requireCommand, requireRenderer } from '../helpers/require-command.js';

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const ALERTS = [
  'ShaserviceHighErrorRate',
  'ShaserviceHighLatency',
  'ShaserviceRedisUnavailable',
  'ShaserviceRedisWritesRefused',
  'ShaserviceTargetDown',
];

describe('alert rules: one file for the chart and the stack (charts/shaservice/files/alerts.yaml)', () => {
  let dir: string;

  before(function () {
    requireRenderer(this);
    requireCommand(this, 'promtool', ['--version']);
    dir = mkdtempSync(join(tmpdir(), 'shaservice-alerts-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when the chart renders the PrometheusRule, then its spec is the file filled by the stack code with the same values', () => {
    const rule = renderChart({ values: ['ci/monitoring-values.yaml'], namespace: 'shop' }).one(
      'PrometheusRule',
    );
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')).metrics.prometheusRule;
    const ci = parse(readFileSync(join(CHART_DIR, 'ci/monitoring-values.yaml'), 'utf8')).metrics
      .prometheusRule;
    const settings = { ...values, ...ci };

    const filled = fillAlertRules({
      GROUP: 'shaservice',
      SELECTOR: 'namespace="shop", job="shaservice"',
      RATE_WINDOW: settings.rateWindow,
      ERROR_RATIO: settings.errorRatio,
      LATENCY_P99_SECONDS: settings.latencyP99Seconds,
      FOR: settings.for,
      REDIS_UNAVAILABLE_FOR: settings.redisUnavailableFor,
      TARGET_DOWN_FOR: settings.targetDownFor,
    });

    expect(rule.spec).to.deep.equal(parse(filled));
    expect(rulesOf(rule.spec).map((r) => r.alert)).to.deep.equal(ALERTS);
  });

  it('when the chart renders the PrometheusRule, then every alert has a severity, a summary, a description and a runbook hint', () => {
    const rule = renderChart({ values: ['ci/monitoring-values.yaml'] }).one('PrometheusRule');

    for (const r of rulesOf(rule.spec)) {
      expect(r.labels.severity, r.alert).to.be.oneOf(['critical', 'warning']);
      for (const annotation of ['summary', 'description', 'runbook'])
        expect(r.annotations[annotation], `${r.alert} ${annotation}`)
          .to.be.a('string')
          .and.have.length.above(20);
    }
  });

  it('when promtool checks the chart-rendered spec and the stack rules file, then both pass', () => {
    const chartFile = join(dir, 'chart-rules.yml');
    const stackFile = join(dir, 'stack-rules.yml');
    writeFileSync(
      chartFile,
      stringify(renderChart({ values: ['ci/monitoring-values.yaml'] }).one('PrometheusRule').spec),
    );
    writeFileSync(stackFile, stackAlertRules());

    const results = [chartFile, stackFile].map((file) => promtool('check', 'rules', file));

    for (const result of results) {
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.include(`SUCCESS: ${ALERTS.length} rules found`);
    }
  });

  it('when promtool runs the rules unit tests on synthetic series (alert-rules.promtool.yaml), then each alert fires or stays quiet as written there', () => {
    writeFileSync(join(dir, 'alerts.yml'), stackAlertRules());
    copyFileSync(
      fileURLToPath(new URL('alert-rules.promtool.yaml', import.meta.url)),
      join(dir, 'tests.yml'),
    );

    const result = promtool('test', 'rules', join(dir, 'tests.yml'));

    expect(result.status, result.output).to.equal(0);
    expect(result.output).to.include('SUCCESS');
  });

  it('when a placeholder has no value, then filling refuses, naming it', () => {
    expect(() => fillAlertRules({ GROUP: 'g' })).to.throw(
      `${ALERT_RULES_FILE}: no value for the placeholder __`,
    );
  });

  function promtool(...args: string[]): { status: number | null; output: string } {
    const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }
});

function rulesOf(spec: { groups: { rules: AlertRule[] }[] }): AlertRule[] {
  return spec.groups.flatMap((group) => group.rules);
}
