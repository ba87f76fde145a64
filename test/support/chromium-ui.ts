import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

/**
 * What browser tests of the web UI share: Debian's Chromium driven headless by playwright-core,
 * a fresh Vite build of src/ui for the hub to serve, sign-in through the sign-in page, and
 * screenshots under test-output/ui/.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** The flags of env's node machine notes: no sandbox as root, no background calls home. */
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

export const SCREENSHOTS = resolve('test-output/ui');

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });

/** Builds src/ui into a fresh temporary folder (SEQHUB_UI_DIR of the test hub); returns it. */
export async function buildUi(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'seqhub-ui-build-'));
  await build({
    configFile: resolve('vite.ui.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'warn',
  });
  return outDir;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in page the app sends a signed-out browser to. */
export async function signInUi(
  page: Page,
  hubUrl: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${hubUrl}/app/`);
  await page.waitForURL(/\/signin/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/?$/);
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}
