import { setFlagsFromString } from 'node:v8';

/**
 * V8 ties how far its old generation may grow between full collections to --max-old-space-size: under a
 * cap below 2 GiB it lets the heap grow to 1.3-2x of what the last collection kept, instead of 4x. With the
 * image's cap (NODE_OPTIONS in the Dockerfile and the chart) that tripled the full collections under load
 * and cost a third of the 64 KiB POST rate. Growing by up to 4x again makes full collections as rare as
 * without a cap, while the cap still bounds the heap. V8 reads this at every collection, so setting it
 * once at start-up is enough; NODE_OPTIONS cannot carry it (Node allows only a few V8 flags there).
 */
export function growHeapAsWithoutCap(): void {
  setFlagsFromString('--heap-growing-percent=300');
}
