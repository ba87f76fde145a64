import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import type { User } from '../../src/domain/index.js';
import { backends } from './backends.js';
import { startTestHub, type TestHub } from './hub.js';

/**
 * A real hub serving a fresh Vite build of src/ui, and Debian's Chromium (headless, the flags of
 * env's node machine notes) to drive it with playwright-core: what the browser tests under
 * test/ui share. Screenshots go to test-output/ui/.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const UI_OUT = resolve('test-output/ui');
export const UI_PASSWORD = 'correct horse battery staple';

/** No sandbox as root, no background calls home. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
  const uiDir = mkdtempSync(join(tmpdir(), 'seqhub-ui-build-'));
  await build({
    configFile: resolve('vite.ui.config.ts'),
    build: { outDir: uiDir, emptyOutDir: true },
    logLevel: 'warn',
  });
  const hub = await startTestHub(backends()[0]!, { env: { SEQHUB_UI_DIR: uiDir } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
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
    async signIn(page, email) {
      await page.goto(`${hub.url}/app/`);
      await page.waitForURL(/\/signin/);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(UI_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/app\/?$/);
      await page.getByRole('heading', { name: 'Projects' }).waitFor();
    },
    shot: (page, name) => page.screenshot({ path: join(UI_OUT, `${name}.png`), fullPage: true }),
    async close() {
      await browser.close();
      await hub.close();
      rmSync(uiDir, { recursive: true, force: true });
    },
  };
}
