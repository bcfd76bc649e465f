import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { hasCommand } from '../has-command.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(ROOT, 'charts/shaservice');
const RENDERER_SOURCE = join(ROOT, 'tools/chart/renderer');

/** One rendered Kubernetes object, with the template it came from. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    // Set by the chart on its Certificate only, which goes to the Gateway's namespace with the HTTPRoute.
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // Assertions walk into specs of every kind; a loose type keeps them short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
  source: string;
}

export interface RenderOptions {
  /** Values files, relative to the chart (e.g. `ci/hpa-values.yaml`) or absolute. */
  values?: string[];
  set?: Record<string, string | number | boolean>;
  /** Values given as an object, applied after the files (as one more `-f`): numbers stay numbers. */
  inline?: Record<string, unknown>;
  release?: string;
  namespace?: string;
}

export interface Rendered {
  manifests: Manifest[];
  /** Every object of a kind, in template order. */
  all(kind: string): Manifest[];
  /** The only object of a kind; throws when there is none or several. */
  one(kind: string, name?: string): Manifest;
}

/** Which renderer is used: real helm when it is on PATH, otherwise the Go + Sprig stand-in beside this file. */
export function rendererName(): 'helm' | 'go' {
  haveHelm ??= hasCommand('helm', ['version']);
  return haveHelm ? 'helm' : 'go';
}
let haveHelm: boolean | undefined;

/**
 * Renders the chart like `helm template`; throws with the renderer's error text when rendering fails, values
 * that break values.schema.json included (both helm and the Go renderer check them before rendering).
 */
export function renderChart(options: RenderOptions = {}): Rendered {
  const release = options.release ?? 'shaservice';
  const namespace = options.namespace ?? 'default';
  return withValueArgs(options, (args) => {
    if (rendererName() === 'helm')
      return parseRendered(run('helm', ['template', release, CHART_DIR, '--namespace', namespace, ...args]));
    return parseRendered(
      run(goRenderer(), ['--release', release, '--namespace', namespace, ...args, CHART_DIR]),
    );
  });
}

/** NOTES.txt as `helm install` prints it. */
export function renderNotes(options: RenderOptions = {}): string {
  const release = options.release ?? 'shaservice';
  const namespace = options.namespace ?? 'default';
  const output = withValueArgs(options, (args) => {
    if (rendererName() === 'helm')
      return run('helm', [
        'install',
        release,
        CHART_DIR,
        '--dry-run=client',
        '--namespace',
        namespace,
        ...args,
      ]);
    return run(goRenderer(), ['--notes', '--release', release, '--namespace', namespace, ...args, CHART_DIR]);
  });
  return output.slice(output.indexOf('NOTES:'));
}

/** The `-f` and `--set` arguments of a render; inline values go through a temporary file. */
function withValueArgs<T>(options: RenderOptions, use: (args: string[]) => T): T {
  const dir = options.inline ? mkdtempSync(join(tmpdir(), 'shaservice-values-')) : undefined;
  try {
    const files = (options.values ?? []).map((file) => join(CHART_DIR, file));
    if (dir) {
      const inline = join(dir, 'inline-values.yaml');
      writeFileSync(inline, stringify(options.inline));
      files.push(inline);
    }
    return use([
      ...files.flatMap((file) => ['-f', file]),
      ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ]);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm lint` where helm exists; the Go renderer has no lint of its own. */
export function lintChart(values: string[]): string {
  return run('helm', [
    'lint',
    '--strict',
    CHART_DIR,
    ...values.flatMap((file) => ['-f', join(CHART_DIR, file)]),
  ]);
}

function parseRendered(output: string): Rendered {
  const manifests: Manifest[] = [];
  for (const document of parseAllDocuments(output)) {
    const [error] = document.errors;
    if (error) throw new Error(`rendered YAML does not parse: ${error.message}`);
    const object = document.toJS() as Manifest | null;
    if (!object) continue;
    // `helm template` heads each document with "# Source: <template>"; the parser keeps it as a comment.
    const source = /^\s*Source: (.+)$/m.exec(document.commentBefore ?? '')?.[1] ?? '';
    manifests.push({ ...object, source: source.trim() });
  }
  const all = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
  return {
    manifests,
    all,
    one(kind, name) {
      const found = all(kind).filter((manifest) => name === undefined || manifest.metadata.name === name);
      const [only] = found;
      if (!only || found.length !== 1)
        throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, got ${found.length}`);
      return only;
    },
  };
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    throw new Error(`${command} failed: ${stderr.trim() || (error as Error).message}`, { cause: error });
  }
}

let builtRenderer: string | undefined;

/**
 * Builds the Go renderer once per test run, in GOPATH mode against Debian's Sprig and yaml.v3 (no network).
 * The Go build cache lives in the temp dir, so later runs build in a moment.
 */
function goRenderer(): string {
  if (builtRenderer) return builtRenderer;
  // One per checkout: worktrees side by side may hold different renderers.
  const checkout = createHash('sha256').update(RENDERER_SOURCE).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `shaservice-chart-renderer-${checkout}`);
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'renderer');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: RENDERER_SOURCE,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(dir, 'go-cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  builtRenderer = binary;
  return binary;
}

/** The values sets kept as files under the chart's ci/, as chart-testing finds them. */
export function ciValuesFiles(): string[] {
  return readdirSync(join(CHART_DIR, 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .map((file) => `ci/${file}`);
}
