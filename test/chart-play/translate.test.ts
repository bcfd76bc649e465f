import { expect } from 'chai';
import { renderChart } from '../../tools/chart/render.js';
import { translate } from '../../tools/chart-play/translate.js';
import { requireRenderer } from '../helpers/require-command.js';

/** Renders as the harness does (its images, never pulled) and translates, with no podman at all. */
function translated(values: string[], set: Record<string, unknown> = {}) {
  const rendered = renderChart({
    values,
    set: {
      'image.repository': 'localhost/shaservice',
      'image.tag': 'played',
      'redis.image.repository': 'localhost/chart-play-redis',
      'redis.image.tag': 'played',
      'image.pullPolicy': 'Never',
      'redis.image.pullPolicy': 'Never',
      ...set,
    },
  });
  return translate(rendered, {
    namespace: 'default',
    apiReplicas: 2,
    addressOf: () => '10.89.0.2',
    serviceAddress: '10.89.0.1',
  });
}

describe('chart play translation of the Redis exporter', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the values are the defaults, then no Redis pod has an exporter and the translation succeeds', () => {
    const { pods } = translated(['ci/default-values.yaml']);

    const redis = pods.filter((pod) => pod.owner.kind === 'StatefulSet');
    expect(redis).to.have.length(1);
    expect(redis[0]!.containers.map((container) => container.name)).to.deep.equal(['redis']);
  });

  it('when a values set turns the exporter on, then the translation refuses it, naming the container, its image and the value', () => {
    expect(() => translated(['ci/redis-exporter-values.yaml'])).to.throw(
      /container metrics of pod shaservice-redis-0 would pull oliver006\/redis_exporter:v[0-9.]+.*redis\.metrics\.exporter\.enabled=false/,
    );
  });
});
