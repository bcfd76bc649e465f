import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../tools/stack/redis-server.js';
import { prepareFixtures } from './fixtures.js';
import { startService } from './servers.js';
import { SCENARIOS } from './scenarios.js';
import { runWrk } from './wrk.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}/bench/results/profiles`;
// Scenario ids from the command line (`npm run bench:profile -- get-warm`), else one GET and one POST.
const PROFILED = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['get-cold', 'post-new'];
const SECONDS = 10;

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a frame's code belongs to: an npm package, our own code, Node itself, or V8's own buckets. */
function moduleOf({ url, functionName }: ProfileNode['callFrame']): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist/')) return 'shaservice';
  if (url.startsWith('node:')) return 'node';
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  return url;
}

/**
 * Self time per module and per function, as shares of the samples after `skipUs` (start-up: module loading and
 * ajv compiling the spec are not per-request costs). "Responsible" charges native and node-internal time
 * (socket writes, hashing) to the nearest caller in an npm package or our code, which is the one to change.
 */
function summarise(profile: CpuProfile, top: number, skipUs: number): string {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const responsible = (id: number): string => {
    for (let at: number | undefined = id, hops = 0; at !== undefined && hops < 200; hops++) {
      const frame = byNode.get(at)?.callFrame;
      const module = frame ? moduleOf(frame) : 'native';
      if (module !== 'native' && module !== 'node') return module;
      at = parentOf.get(at);
    }
    return 'node (no package caller)';
  };
  const byModule = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (!frame || elapsed < skipUs) return;
    total += delta;
    const module = moduleOf(frame);
    byModule.set(module, (byModule.get(module) ?? 0) + delta);
    const caller = responsible(id);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + delta);
    const name = `${module} ${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const share = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return [
    '| Module | Self time | Responsible (native time charged to its caller) |',
    '| --- | ---: | ---: |',
    ...sorted(byCaller)
      .filter(([, us]) => us / total >= 0.001)
      .map(([name, us]) => `| ${name} | ${share(byModule.get(name) ?? 0)} | ${share(us)} |`),
    '',
    '| Function (module, name, file:line) | Self time |',
    '| --- | ---: |',
    ...sorted(byFunction)
      .slice(0, top)
      .map(([name, us]) => `| ${name.replace(/\|/g, '\\|')} | ${share(us)} |`),
    '',
  ].join('\n');
}

/**
 * Runs the built service under `node --cpu-prof` for each profiled scenario (50 connections, 10 s
 * each, a service process per scenario so each profile holds one kind of traffic), then writes where the
 * CPU time went, by module and by function, to bench/results/profile.md.
 */
async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const redis = await RedisServer.start(['--appendonly', 'no']);
  const fixtureDir = mkdtempSync(`${tmpdir()}/shaservice-profile-`);
  const report: string[] = ['# Where shaservice spends CPU (self time, `node --cpu-prof`)', ''];
  try {
    for (const id of PROFILED) {
      const scenario = SCENARIOS.find((s) => s.id === id);
      if (!scenario) throw new Error(`no scenario ${id}`);
      const env: Record<string, string> =
        scenario.service === 'service-nocache' ? { CACHE_MAX_BYTES: '0' } : {};
      const dir = `${OUT}/${id}`;
      let skipUs = 0;
      const spawnedAt = performance.now();
      const service = await startService(id, redis.url, env, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      try {
        const fixtures = await prepareFixtures(service, 10_000, fixtureDir);
        skipUs = (performance.now() - spawnedAt) * 1000;
        const result = await runWrk({
          url: service.url,
          script: scenario.script,
          args: scenario.args(fixtures, { run: randomBytes(6).toString('hex'), bigPool: 100 }),
          connections: 50,
          durationSec: SECONDS,
          expect: scenario.expect,
        });
        report.push(
          `## ${scenario.title}: ${result.requestsPerSec.toFixed(0)} req/s, ${result.errors} errors`,
          '',
        );
      } finally {
        // SIGTERM: the service shuts down and exits normally, which is when Node writes the profile.
        await service.stop();
      }
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no profile written in ${dir}`);
      report.push(summarise(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile, 30, skipUs));
    }
  } finally {
    await redis.destroy();
    rmSync(fixtureDir, { recursive: true, force: true });
  }
  writeFileSync(`${ROOT}/bench/results/profile.md`, report.join('\n'));
  process.stdout.write(`${report.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
