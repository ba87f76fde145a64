import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { User } from '../../src/domain/index.js';
import { backends } from './backends.js';
import { buildUi, launchChromium, signInUi } from './chromium-ui.js';
import { startTestHub, type TestHub } from './hub.js';

export { CHROMIUM, CHROMIUM_FLAGS, HAVE_CHROMIUM } from './chromium-ui.js';

/**
 * A real hub serving a fresh Vite build of src/ui, and Debian's Chromium (headless, the flags of
 * env's node machine notes) to drive it with playwright-core: what the browser tests under
 * test/ui share. Screenshots go to test-output/ui/.
 */
export const UI_OUT = resolve('test-output/ui');
export const UI_PASSWORD = 'correct horse battery staple';

export interface UiHarness {
  hub: TestHub;
  browser: Browser;
  /** Every URL any page of any context asked for. */
  requested: string[];
  newUser(name: string): Promise<{ user: User; token: string }>;
  newContext(): Promise<BrowserContext>;
  signIn(page: Page, email: string): Promise<void>;
  shot(page: Page, name: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** Builds the UI into a temporary folder, starts a hub serving it and launches Chromium. */
export async function startUiHarness(): Promise<UiHarness> {
  mkdirSync(UI_OUT, { recursive: true });
  const uiDir = await buildUi();
  const hub = await startTestHub(backends()[0]!, { env: { SEQHUB_UI_DIR: uiDir } });
  const browser = await launchChromium();
  const requested: string[] = [];
  return {
    hub,
    browser,
    requested,
    async newUser(name) {
      const u = await hub.newUser({ name });
      await hub.server.hub.services.web.setPasswordOf(u.user, UI_PASSWORD);
      return u;
    },
    async newContext() {
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 900 },
      });
      context.on('request', (r) => requested.push(r.url()));
      return context;
    },
    signIn: (page, email) => signInUi(page, hub.url, email, UI_PASSWORD),
    shot: (page, name) => page.screenshot({ path: join(UI_OUT, `${name}.png`), fullPage: true }),
    async close() {
      await browser.close();
      await hub.close();
      rmSync(uiDir, { recursive: true, force: true });
    },
  };
}
