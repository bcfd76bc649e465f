import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; playwright-core brings no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium as it runs on these machines: without the background networking, component updates and
 * first-run pages whose connections the closed network refuses, and without a sandbox (CI runs as root).
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
