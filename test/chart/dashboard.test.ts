import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderChart } from '../../tools/chart/render.js';
import { DASHBOARD_FILE, queryPanels, readDashboard } from '../../tools/stack/dashboard.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { schemaRefusal } from './refused-by-schema.js';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('chart: the Grafana dashboard ConfigMap', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the dashboard is on, then a ConfigMap for the Grafana sidecar holds the repository’s JSON byte for byte', () => {
    const configMap = renderChart({ values: ['ci/dashboard-values.yaml'] }).one(
      'ConfigMap',
      'shaservice-dashboard',
    );

    expect(
      Buffer.from(configMap.data['shaservice.json'], 'utf8').equals(readFileSync(DASHBOARD_FILE)),
    ).to.equal(true);
    expect(configMap.metadata.labels).to.include({
      grafana_dashboard: '1',
      release: 'kube-prometheus-stack',
      'app.kubernetes.io/instance': 'shaservice',
    });
    expect(configMap.metadata.annotations).to.deep.equal({ grafana_folder: 'Services' });
    expect(schemaProblems(configMap)).to.deep.equal([]);
  });

  it('when the dashboard is off (the default), then no dashboard ConfigMap is rendered', () => {
    const names = renderChart()
      .all('ConfigMap')
      .map((configMap) => configMap.metadata.name);

    expect(names).not.to.include('shaservice-dashboard');
    expect(names.filter((name) => name.endsWith('-dashboard'))).to.deep.equal([]);
  });

  it('when the sidecar selects by another label, then the ConfigMap carries that label and value instead', () => {
    const inline = {
      metrics: { dashboard: { enabled: true, label: 'example.com/dashboard', labelValue: 'yes' } },
    };
    const { labels } = renderChart({ inline }).one('ConfigMap', 'shaservice-dashboard').metadata;

    expect(labels).to.include({ 'example.com/dashboard': 'yes' });
    expect(labels).not.to.have.property('grafana_dashboard');
  });

  it('when the release name is long, then the ConfigMap name keeps its -dashboard suffix within 63 characters', () => {
    const release = 'a-release-name-that-is-far-too-long-for-a-kubernetes-dns-label-x';
    const names = renderChart({ release, set: { 'metrics.dashboard.enabled': true } })
      .all('ConfigMap')
      .map((configMap) => configMap.metadata.name);
    const name = names.find((n) => n.endsWith('-dashboard')) ?? '';

    expect(name).to.equal('a-release-name-that-is-far-too-long-for-a-kubernetes-dashboard');
    expect(name).to.have.length.at.most(63);
  });

  it('when labelValue is not a label value, then the schema refuses it naming the value', () => {
    const inline = { metrics: { dashboard: { enabled: true, labelValue: 'not a label' } } };

    expect(schemaRefusal(() => renderChart({ inline }))).to.include('metrics.dashboard.labelValue');
  });
});

describe('the Grafana dashboard JSON', () => {
  const dashboard = readDashboard();
  const panels = queryPanels(dashboard);

  it('when read, then it has a fixed uid, a title and tags', () => {
    expect(dashboard).to.include({ uid: 'shaservice-overview', title: 'shaservice' });
    expect(dashboard.tags).to.include('shaservice');
  });

  it('when its variables are read, then the data source is chosen among Prometheus ones, and namespace and job are queried through it', () => {
    const byName = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));

    expect(byName.datasource).to.include({ type: 'datasource', query: 'prometheus' });
    for (const name of ['namespace', 'job'])
      expect(byName[name], name).to.deep.include({ type: 'query', datasource: DATASOURCE });
  });

  it('when its panels are read, then every one queries through the chosen data source, each with a unique id', () => {
    const ids = dashboard.panels
      .flatMap((panel) => [panel, ...(panel.panels ?? [])])
      .map((panel) => panel.id);

    expect(new Set(ids).size).to.equal(ids.length);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).to.deep.equal(DATASOURCE);
      expect(panel.targets, panel.title).to.have.length.above(0);
      for (const target of panel.targets ?? [])
        expect(target.datasource, panel.title).to.deep.equal(DATASOURCE);
    }
  });

  it('when its queries are read, then every series selector is limited to the chosen namespace and job', () => {
    for (const panel of panels)
      for (const { expr } of panel.targets ?? []) {
        const selectors = expr.match(/\{[^}]*\}/g) ?? [];
        // The service's metric names (and `up`) each followed by a selector: a bare one reads every release.
        const bare = expr.match(/\b(?:up|(?:http|shaservice|nodejs|process)_[a-z0-9_]+)\b(?!\{)/g);

        expect(bare, expr).to.equal(null);
        expect(selectors, expr).to.have.length.above(0);
        for (const selector of selectors)
          expect(selector, `${panel.title}: ${expr}`)
            .to.include('namespace=~"$namespace"')
            .and.include('job=~"$job"');
      }
  });

  it('when its panels are laid out, then none overlaps another on the 24-column grid', () => {
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).to.be.at.most(24);
      for (let row = y; row < y + h; row++)
        for (let column = x; column < x + w; column++) {
          const cell = `${column},${row}`;
          expect(cells.get(cell), `${panel.title} over ${cells.get(cell)}`).to.equal(undefined);
          cells.set(cell, panel.title);
        }
    }
  });
});
