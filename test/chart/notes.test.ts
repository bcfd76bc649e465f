import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { renderNotes, type RenderOptions } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';

/** The address the stubbed kubectl gives for an Ingress or Gateway. */
const ADDRESS = '203.0.113.7';

/**
 * Runs the commands NOTES.txt prints (its lines indented by two spaces that are not `#` comments), in order,
 * in one shell with `set -eu`, as a user pasting them would, but with kubectl, curl, helm and openssl stubbed: each
 * stub writes its command line to a log, and kubectl answers jsonpath queries as a cluster would. Answers
 * the notes and the log, one command per entry.
 */
function runNotes(options: RenderOptions): { notes: string; commands: string[] } {
  const notes = renderNotes(options);
  const lines = notes.split('\n').filter((line) => /^ {2}[^ #]/.test(line));
  const dir = mkdtempSync(join(tmpdir(), 'shaservice-notes-'));
  try {
    const log = join(dir, 'commands.log');
    const stub = (name: string, body = '') => {
      writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "${log}"\n${body}`);
      chmodSync(join(dir, name), 0o755);
    };
    stub(
      'kubectl',
      `case "$*" in *jsonpath*crt*) printf 'Y2VydGlmaWNhdGU=' ;; *jsonpath*) printf '${ADDRESS}' ;; esac\n`,
    );
    stub('curl');
    stub('helm');
    stub('openssl', 'printf 0123456789abcdef\n');
    writeFileSync(log, '');
    execFileSync('bash', ['-c', ['set -eu', ...lines].join('\n')], {
      cwd: dir,
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { notes, commands: readFileSync(log, 'utf8').trim().split('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const POST = `-H Content-Type: application/json -d {"message": "foo"}`;

/**
 * Every curl reaches the API: through a port-forward on 127.0.0.1:8080, or connecting to the address the
 * cluster published for the Ingress or Gateway (the host itself may have no DNS record yet).
 */
function expectEveryCurlReachable(commands: string[]): void {
  const curls = commands.filter((c) => c.startsWith('curl'));
  expect(curls).to.have.length.at.least(2);
  for (const curl of curls)
    expect(curl).to.match(new RegExp(`http://127\\.0\\.0\\.1:8080/|--connect-to \\S+:${ADDRESS}:`));
}

/** Every curl to 127.0.0.1 comes after a port-forward, both in the text and in what runs. */
function expectPortForwardFirst(notes: string, commands: string[]): void {
  const firstLocalCurl = commands.findIndex((c) => c.startsWith('curl') && c.includes('127.0.0.1'));
  if (firstLocalCurl === -1) return;
  const forward = commands.findIndex((c) => /^kubectl .*port-forward/.test(c));
  expect(forward, 'a port-forward before the first curl to 127.0.0.1').to.be.within(0, firstLocalCurl - 1);
  expect(notes.indexOf('port-forward')).to.be.below(notes.indexOf('127.0.0.1'));
}

describe('chart: NOTES.txt prints commands that work as printed, for each way the API is exposed', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when nothing exposes the API, then it port-forwards the Service first and curls 127.0.0.1 through it', () => {
    const { notes, commands } = runNotes({});

    expect(commands).to.include('kubectl --namespace default port-forward service/shaservice 8080:80');
    expect(commands).to.include(`curl -s http://127.0.0.1:8080/messages ${POST}`);
    expectPortForwardFirst(notes, commands);
    expectEveryCurlReachable(commands);
    expect(commands).to.include('helm test shaservice --namespace default');
  });

  it('when the Ingress has TLS, then it curls https with the certificate as CA, connecting to the ingress address (IP or host name), and says what -k does', () => {
    const { notes, commands } = runNotes({ values: ['ci/ingress-tls-values.yaml'] });

    expect(commands).to.include(
      'kubectl --namespace default get secret shaservice-example-tls -o jsonpath={.data.tls\\.crt}',
    );
    expect(commands).to.include(
      'kubectl --namespace default get ingress shaservice -o jsonpath={.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}',
    );
    expect(commands).to.include(
      `curl -s --cacert shaservice-tls.crt --connect-to shaservice.example.test:443:${ADDRESS}:443 https://shaservice.example.test/messages ${POST}`,
    );
    expect(notes).to.match(/-k\b.*(skips|without)/);
    expect(commands.join('\n')).not.to.include('port-forward');
    expectEveryCurlReachable(commands);
  });

  it('when the Ingress has no TLS, then it curls http, connecting to the ingress address', () => {
    const { commands } = runNotes({ set: { 'ingress.enabled': true, 'ingress.tls.enabled': false } });

    expect(commands).to.include(
      `curl -s --connect-to shaservice.test:80:${ADDRESS}:80 http://shaservice.test/messages ${POST}`,
    );
    expectEveryCurlReachable(commands);
  });

  it('when an HTTPRoute exposes the API, then it curls through the Gateway, connecting to its address, and any curl to 127.0.0.1 follows a port-forward', () => {
    const { notes, commands } = runNotes({ values: ['ci/gateway-api-values.yaml'] });

    expect(commands).to.include(
      'kubectl --namespace gateway-system get gateway public -o jsonpath={.status.addresses[0].value}',
    );
    expect(commands).to.include(
      `curl -s --cacert shaservice-tls.crt --connect-to shaservice.example.test:443:${ADDRESS}:443 https://shaservice.example.test/messages ${POST}`,
    );
    // The listener's certificate, read from the Secret its certificateRefs name, as the Ingress one is.
    expect(commands).to.include(
      `kubectl --namespace ${ADDRESS} get secret ${ADDRESS} -o jsonpath={.data.tls\\.crt}`,
    );
    expectPortForwardFirst(notes, commands);
    expectEveryCurlReachable(commands);
  });
});
