import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import getPort from 'get-port';
import { pollUntil } from '../../tools/stack/poll.js';
import { acceptsConnections } from '../../tools/stack/probe.js';
import { ROOT } from '../../tools/stack/service-environment.js';
import { send } from '../../tools/client/http.js';
import { buildService, requireStackCommands } from './stack-fixture.js';

describe('e2e: npm run stack (the command users run)', () => {
  let cli: ChildProcess | undefined;

  before(function () {
    requireStackCommands(this);
    this.timeout(60_000);
    buildService();
  });

  after(() => {
    cli?.kill('SIGKILL');
  });

  /**
   * Starts the stack through `command` and waits for its banner. `field` reads one of the banner's lines
   * (`  <name>   <value>`); `exited` is the exit code.
   */
  async function startStackCommand(command: string, args: string[], options: { detached?: boolean } = {}) {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    cli = child;
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await pollUntil(
      'the stack to say it is up',
      () => output.includes('Ctrl-C stops everything'),
      90_000,
      100,
    );
    const field = (name: string) => new RegExp(`^  ${name} +(\\S+)`, 'm').exec(output)?.[1] ?? '';
    return { child, exited, field, output: () => output };
  }

  it('when started, then it prints working URLs and the CA; when Ctrl-C (SIGINT) comes, then it exits 0 and leaves no process or file behind', async function () {
    this.timeout(120_000);
    const httpsPort = await getPort({ host: '127.0.0.1' });
    const { child, exited, field, output } = await startStackCommand(process.execPath, [
      '--import',
      'tsx',
      'tools/stack/cli.ts',
      '--https-port',
      String(httpsPort),
    ]);
    const caFile = field('CA cert');
    const dir = field('logs');
    const ports = [...output().matchAll(/127\.0\.0\.1:(\d+)|localhost:(\d+)/g)].map((m) =>
      Number(m[1] ?? m[2]),
    );
    const health = await send(field('API \\(HTTPS\\)'), 'GET', '/healthz', { ca: readFileSync(caFile) });
    const prometheus = await fetch(`${field('Prometheus')}/-/ready`);
    const pids = processesMentioning(dir);
    child.kill('SIGINT');
    const code = await exited;
    const stillOpen = (await Promise.all(ports.map((port) => acceptsConnections(port)))).filter(Boolean);

    expect(field('API \\(HTTPS\\)')).to.equal(`https://localhost:${httpsPort}`);
    expect(health.status).to.equal(200);
    expect(prometheus.status).to.equal(200);
    expect(
      pids.length,
      'nginx and Prometheus run with the stack directory in their command line',
    ).to.be.at.least(2);
    expect(new Set(ports).size, output()).to.be.at.least(7);
    expect(code, output()).to.equal(0);
    expect(output()).to.match(/stopped; nothing is left running/);
    expect(stillOpen).to.deep.equal([]);
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });

  it('when it runs through npm and npm alone is killed (SIGTERM, which npm does not pass on), then the stack stops and leaves no process or file behind', async function () {
    this.timeout(120_000);
    const httpsPort = await getPort({ host: '127.0.0.1' });
    // Its own session, as a background job of a shell: the signal reaches npm only.
    const { child: npm, field } = await startStackCommand(
      'npm',
      ['run', 'stack', '--silent', '--', '--https-port', String(httpsPort)],
      { detached: true },
    );
    const dir = field('logs');
    const pids = processesMentioning(dir);

    npm.kill('SIGTERM');

    await pollUntil('the stack directory to be gone', () => !existsSync(dir), 20_000, 100);
    expect(pids.length).to.be.at.least(2);
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).to.deep.equal([]);
    expect(processesMentioning(`--https-port ${httpsPort}`), 'npm, tsx and the stack itself').to.deep.equal(
      [],
    );
  });
});

/** Processes whose command line names `text` (the stack's directory). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
