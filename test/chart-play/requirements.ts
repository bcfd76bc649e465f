import { requireCommand, requireRenderer } from '../helpers/require-command.js';

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

// The first run makes the base image and both images (about 3 minutes); later runs find them in the cache.
export const INSTALL_TIMEOUT_MS = 15 * 60_000;
