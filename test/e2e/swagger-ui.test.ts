import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../tools/client/chromium.js';
import { ROOT } from '../../tools/stack/service-environment.js';
import type { Stack } from '../../tools/stack/stack.js';
import { requireCommand } from '../helpers/require-command.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { useStack } from './stack-fixture.js';

// The committed screenshot is rewritten only on request, so a test run leaves the work tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? join(ROOT, 'docs/swagger-ui.png') : undefined;

describe('e2e: Swagger UI in headless Chromium, through nginx', () => {
  let stack: Stack;
  let browser: Browser;

  before(async function () {
    requireCommand(this, CHROMIUM);
    stack = await useStack(this);
    browser = await launchChromium([
      // Trusts exactly our server key (Chromium reads no CA file); any other certificate still fails.
      `--ignore-certificate-errors-spki-list=${stack.certificates.serverSpkiSha256}`,
    ]);
  });

  after(async () => {
    await browser?.close();
  });

  it('when /docs is opened, then both message operations show, and "Try it out" on POST answers a digest', async function () {
    this.timeout(60_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const message = 'hello from Swagger UI';

    await page.goto(`${stack.httpsUrl}/docs`);
    // By exact path, so operations added beside them (/messages/batch, ...) cannot be mistaken for them.
    const post = page.locator('.opblock-post', { has: page.locator('[data-path="/messages"]') });
    const get = page.locator('.opblock-get', { has: page.locator('[data-path="/messages/{digest}"]') });
    await post.waitFor({ timeout: 20_000 });
    await get.waitFor();
    await post.locator('.opblock-summary').click();
    await post.getByRole('button', { name: 'Try it out' }).click();
    await post.locator('textarea.body-param__text').fill(JSON.stringify({ message }));
    await post.getByRole('button', { name: 'Execute' }).click();
    const answer = post.locator('.live-responses-table .response-col_description pre').first();
    await answer.waitFor({ timeout: 20_000 });
    const status = await post
      .locator('.live-responses-table tr.response .response-col_status')
      .first()
      .textContent();
    const body = JSON.parse((await answer.textContent()) ?? '');
    // The top of the page: the spec's title, the POST tried out, and the live answer with its headers.
    const clip = { x: 0, y: 0, width: 1280, height: 1700 };
    const screenshot = await page.screenshot({ path: SCREENSHOT, fullPage: true, clip });

    expect(page.url()).to.match(new RegExp(`^${stack.httpsUrl}/docs/#/`));
    expect(status?.trim()).to.equal('201');
    expect(body).to.deep.equal({
      digest: expectedDigest(message),
    });
    expect(screenshot.length).to.be.above(20_000);
  });
});
