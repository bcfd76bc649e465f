import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const HEAP_MODULE = new URL('../service/heap.ts', import.meta.url).href;

// Keeps ~10 MB alive and churns objects that survive a few young collections, so they are promoted and
// the old generation keeps filling with garbage; prints how many full (mark-compact) collections it took.
const CHURN = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
if (process.env.GROW === '1') (await import(${JSON.stringify(HEAP_MODULE)})).growHeapAsWithoutCap();
let full = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
const live = Array.from({ length: 100_000 }, (_, i) => \`live \${i}\`.padEnd(80));
let young = [];
for (let i = 0; i < 1_500_000; i++) {
  young.push({ i, text: \`x\${i}\` });
  if (young.length > 100_000) young = [];
}
await new Promise((resolve) => setTimeout(resolve, 100));
process.stdout.write(\`\${full} \${live.length}\`);
`;

/** Full collections of the churn under a 256 MiB cap and a small young generation. */
async function fullCollections(grow: boolean): Promise<number> {
  const args = ['--max-old-space-size=256', '--max-semi-space-size=1', '--import', 'tsx'];
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...args, '--input-type=module', '-e', CHURN],
    {
      env: { ...process.env, GROW: grow ? '1' : '' },
    },
  );
  return Number(stdout.split(' ')[0]);
}

describe('growHeapAsWithoutCap', () => {
  it('under a heap cap, the old generation grows further between full collections, so they are rarer', async () => {
    const [asV8Sets, grown] = await Promise.all([fullCollections(false), fullCollections(true)]);

    expect(asV8Sets).to.be.above(10);
    // Measured: 29 full collections with V8's factor under a cap, 4 with the growth restored.
    expect(grown * 3).to.be.below(asV8Sets);
  }).timeout(60_000);
});
