import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PROXY_LIMITS } from '../../tools/stack/nginx.js';
import { ROOT, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';

describe('ingress-nginx controller values: the limits and retries the local stack has', () => {
  const config = parse(readFileSync(join(ROOT, 'k8s/ingress-nginx/values-proxy.yaml'), 'utf8')).controller
    .config as Record<string, string>;

  before(function () {
    requireRenderer(this);
  });

  it('when the controller is installed with values-proxy.yaml, then slow clients get the stack timeouts and a worker per core with 16,384 connections', () => {
    expect(config).to.include({
      'worker-processes': 'auto',
      'max-worker-connections': '16384',
      'client-header-timeout': String(DEFAULT_PROXY_LIMITS.clientTimeoutSeconds),
      'client-body-timeout': String(DEFAULT_PROXY_LIMITS.clientTimeoutSeconds),
      'keep-alive': '30',
    });
  });

  it("when a client goes over the chart's per-address limit, then it gets 429 as from the stack, and no POST is ever replayed", () => {
    const ingress = renderChart({ set: { 'ingress.enabled': true } }).one('Ingress');

    expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/limit-connections']).to.equal(
      String(DEFAULT_PROXY_LIMITS.connectionsPerClient),
    );
    expect(config).to.include({ 'limit-conn-status-code': '429', 'retry-non-idempotent': 'false' });
  });
});
