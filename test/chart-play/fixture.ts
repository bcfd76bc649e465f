import { PlayedRelease, type ReleaseOptions } from '../../tools/chart-play/release.js';
import type { ScenarioTable } from '../../tools/chart-play/table.js';
import { requireCommand, requireRenderer } from '../helpers/require-command.js';

// The first run makes the base image and both images (about 3 minutes); later runs find them in the cache.
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

/**
 * The chart-play suites call this in `before`: podman with runc, catatonit (podman builds each pod's infra
 * container from it; no pause image can be pulled), debootstrap for the base image, and the chart renderer.
 */
export function requireChartPlay(context: Mocha.Context): void {
  requireCommand(context, 'podman');
  requireCommand(context, 'runc');
  requireCommand(context, 'catatonit');
  requireCommand(context, 'debootstrap', ['--version']);
  requireRenderer(context);
}

/**
 * A release installed for the whole suite in `before`, destroyed in `after`, which then prints the suite's table.
 * Read it through the returned function, from the tests.
 */
export function installForSuite(
  suffix: string,
  options: ReleaseOptions,
  table: ScenarioTable,
): () => PlayedRelease {
  let release: PlayedRelease | undefined;
  before(async function () {
    this.timeout(INSTALL_TIMEOUT_MS);
    requireChartPlay(this);
    release = await PlayedRelease.install(suffix, options);
  });
  after(async () => {
    await release?.destroy();
    table.print();
  });
  return () => {
    if (!release) throw new Error(`release ${suffix} is not installed`);
    return release;
  };
}
