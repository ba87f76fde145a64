import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain/index.js';
import {
  CHROMIUM,
  HAVE_CHROMIUM,
  UI_OUT,
  startUiHarness,
  type UiHarness,
} from '../support/chromium.js';
import { api, importRun } from '../support/demux-http.js';
import { writeSyntheticRun } from '../support/synthetic-run.js';

/**
 * Issue 9, part A, in Debian's Chromium against a real hub: the run page's index read
 * distribution and top unknown barcodes, live AppSession status, property editing, and link
 * sharing. Screenshots go to test-output/ui/ (20-*).
 */
if (!HAVE_CHROMIUM)
  process.stderr.write(`${CHROMIUM} not found (Debian package chromium): UI tests skipped\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CSV as the demultiplexing writes it, rows keyed by the header. */
const csv = (text: string) => {
  const [head, ...lines] = text.trim().split('\n');
  const keys = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i]!, v])));
};

describe.skipIf(!HAVE_CHROMIUM)(
  'web UI: run index charts, live analyses, properties, links',
  () => {
    let ui: UiHarness;
    let alice: { user: User; token: string };
    let bob: { user: User; token: string };
    let aliceContext: BrowserContext;
    let page: Page;
    let projectId: string;
    const runDir = mkdtempSync(join(tmpdir(), 'seqhub-ui-data-run-'));

    const url = (path: string) => `${ui.hub.url}${path}`;
    /** Marks the page's window: a reload (or a navigation outside the app) would lose it. */
    const mark = (p: Page) => p.evaluate(() => ((globalThis as any).__noReload = 'still here'));
    const marked = (p: Page) => p.evaluate(() => (globalThis as any).__noReload);
    const fileText = async (fileId: string) => {
      const res = await fetch(url(`/v1pre3/files/${fileId}/content`), {
        headers: { 'x-access-token': alice.token },
      });
      expect(res.status).toBe(200);
      return res.text();
    };

    beforeAll(async () => {
      ui = await startUiHarness();
      alice = await ui.newUser('Alice');
      bob = await ui.newUser('Bob');
      aliceContext = await ui.newContext();
      page = await aliceContext.newPage();
      page.on('pageerror', (e) => process.stderr.write(`PAGEERROR ${e.message}\n`));
      await ui.signIn(page, alice.user.email);
      projectId = (await api(ui.hub.url, alice.token, 'POST', 'projects', { Name: 'Data Project' }))
        .body.Response.Id;
    }, 180_000);

    afterAll(async () => {
      await ui?.close();
      rmSync(runDir, { recursive: true, force: true });
    });

    it('run page: an empty state before demultiplexing; the session live, then the index read distribution and top unknown barcodes', async () => {
      writeSyntheticRun(runDir, { tiles: 2, clusters: 2000, readLength: 20, samples: 3 });
      const runId = await importRun(ui.hub, alice.user, runDir);
      await page.goto(url(`/app/runs/${runId}`));
      await page.locator('#no-demux').waitFor();
      expect(await page.locator('#no-demux').textContent()).toMatch(/not been demultiplexed yet/);
      expect(await page.locator('#demux-sessions').textContent()).toMatch(/No demultiplexing/);
      await ui.shot(page, '20-run-not-demultiplexed');

      await mark(page);
      await page.getByLabel('Into project').selectOption(projectId);
      await page.getByRole('button', { name: 'Demultiplex' }).click();
      // The sessions table gets the new session and follows it to Complete, and the index report
      // replaces the empty state: all without a reload.
      await page.locator('#demux-sessions tr[data-session] .badge').first().waitFor();
      await page.locator('#demux-sessions .badge.Complete').waitFor({ timeout: 90_000 });
      await page.locator('#index-report figure.chart-index').first().waitFor({ timeout: 20_000 });
      expect(await marked(page)).toBe('still here');
      expect(await page.locator('#no-demux').count()).toBe(0);
      expect(await page.locator('#demux-sessions').getAttribute('data-live')).toBe('stopped');

      // The bars are Demultiplex_Stats.csv's reads per sample and index (and Undetermined).
      const results = (
        await api(ui.hub.url, alice.token, 'GET', `projects/${projectId}/appresults`)
      ).body.Response.Items;
      const reports = results.find((r: any) => r.Name === 'Demultiplexing reports');
      const files = (
        await api(ui.hub.url, alice.token, 'GET', `appresults/${reports.Id}/files?Limit=100`)
      ).body.Response.Items;
      const fileId = (name: string) => files.find((f: any) => f.Name === name).Id;
      const stats = csv(await fileText(fileId('Demultiplex_Stats.csv')));
      const unknown = csv(await fileText(fileId('Top_Unknown_Barcodes.csv')));
      const lanes = [...new Set(stats.map((r) => r.Lane))];
      expect(await page.locator('#index-report figure.chart-index').count()).toBe(lanes.length);
      for (const lane of lanes) {
        const rows = stats.filter((r) => r.Lane === lane);
        const chart = page.locator(`#chart-index-lane-${lane} svg`);
        const bars = await chart
          .locator('rect[data-label]')
          .evaluateAll((rs) =>
            rs.map((r) => [r.getAttribute('data-label'), Number(r.getAttribute('data-value'))]),
          );
        expect(bars).toEqual(
          rows.map((r) => [
            r.SampleID === 'Undetermined' ? 'Undetermined' : `${r.SampleID} (${r.Index})`,
            Number(r['# Reads']),
          ]),
        );
        expect(bars.filter(([l]) => l !== 'Undetermined')).toHaveLength(3);
        expect(bars.every(([, v]) => (v as number) > 0)).toBe(true);
        // Longer bars for more reads.
        const widths = await chart
          .locator('rect[data-label]')
          .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
        const order = (xs: number[]) => xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
        expect(order(widths)).toEqual(order(bars.map(([, v]) => v as number)));
        // Accessible: a title, a description, and the same numbers as a table.
        expect(await chart.getAttribute('role')).toBe('img');
        expect(await chart.locator('title').textContent()).toBe(
          `Index read distribution, lane ${lane}`,
        );
        expect(await chart.locator('desc').textContent()).toMatch(/Reads per sample/);
        const cells = await page
          .locator(`#chart-index-lane-${lane} details tbody tr td:nth-child(3)`)
          .allTextContents();
        expect(cells).toEqual(rows.map((r) => r['# Reads']));
      }
      // Top unknown barcodes: the CSV's first rows per lane, in its order.
      const shown = await page
        .locator('#top-unknown tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        );
      const expected = lanes.flatMap((lane) =>
        unknown
          .filter((r) => r.Lane === lane)
          .slice(0, 10)
          .map((r) => [r.Lane, r.index, r.index2, r['# Reads']]),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(shown.map((r) => r.slice(0, 4))).toEqual(expected);
      await page.locator('#chart-index-lane-1 details summary').click();
      await ui.shot(page, '21-run-index-report');
      await page
        .locator('#index-section')
        .screenshot({ path: join(UI_OUT, '21-run-index-report-section.png') });

      // A reload shows the same report straight away (found through the run's sessions).
      await page.reload();
      await page.locator('#index-report figure.chart-index').first().waitFor();
      expect(await page.locator('#chart-index-lane-1 rect[data-label]').count()).toBe(4);
    });

    it('Analyses tab: a Running session turns Complete on screen without a reload; polling stops when none runs or the page is left', async () => {
      const created = async (name: string) =>
        (
          await api(ui.hub.url, alice.token, 'POST', `projects/${projectId}/appresults`, {
            Name: name,
          })
        ).body.Response;
      const first = await created('Live one');
      const sessionId = String(first.AppSession.Id);
      expect(first.AppSession.Status).toBe('Running');
      const polls = () =>
        ui.requested.filter((u) => u.endsWith(`/v1pre3/appsessions/${sessionId}`));

      await page.goto(url(`/app/projects/${projectId}/analyses`));
      const row = page.locator(`#analyses tr[data-session="${sessionId}"]`);
      await row.locator('.badge.Running').waitFor();
      expect(await page.locator('#analyses').getAttribute('data-live')).toBe('polling');
      await mark(page);
      await ui.shot(page, '22-analyses-running');

      await api(ui.hub.url, alice.token, 'POST', `appsessions/${sessionId}`, {
        StatusSummary: 'Aligning: 40%',
      });
      await row.locator('td.summary', { hasText: 'Aligning: 40%' }).waitFor({ timeout: 10_000 });
      expect(await row.locator('.badge.Running').count()).toBe(1);
      await api(ui.hub.url, alice.token, 'POST', `appsessions/${sessionId}`, {
        Status: 'Complete',
        StatusSummary: 'Aligned 1000 reads',
      });
      await row.locator('.badge.Complete').waitFor({ timeout: 10_000 });
      expect(await row.locator('td.summary').textContent()).toBe('Aligned 1000 reads');
      expect(await marked(page)).toBe('still here');
      await page.locator('#analyses[data-live=stopped]').waitFor();
      await ui.shot(page, '23-analyses-complete');
      // Nothing Running: no more polls.
      const afterStop = polls().length;
      await sleep(4000);
      expect(polls().length).toBe(afterStop);

      // Leaving the page stops the polling of a session still Running.
      const second = await created('Live two');
      const secondId = String(second.AppSession.Id);
      const secondPolls = () =>
        ui.requested.filter((u) => u.endsWith(`/v1pre3/appsessions/${secondId}`)).length;
      await page.goto(url(`/app/projects/${projectId}/analyses`));
      await page.locator(`#analyses tr[data-session="${secondId}"] .badge.Running`).waitFor();
      await sleep(3500);
      expect(secondPolls()).toBeGreaterThan(0);
      await page.getByRole('tab', { name: 'Samples' }).click();
      await page.locator('[role=tabpanel] table').waitFor();
      const left = secondPolls();
      await sleep(4000);
      expect(secondPolls()).toBe(left);
    });

    it('Properties: adds, changes and deletes a string property (checked through the API); API errors inline; read-only for a Read collaborator', async () => {
      const prop = (name: string) =>
        api(ui.hub.url, alice.token, 'GET', `projects/${projectId}/properties/${name}`);
      await page.goto(url(`/app/projects/${projectId}/properties`));
      await page.locator('#property-add').waitFor();

      // A name the API refuses: its message, inline, and nothing written.
      await page.getByLabel('Property name').fill('nodots');
      await page.getByLabel('Value', { exact: true }).fill('x');
      await page.getByRole('button', { name: 'Add property' }).click();
      await page.locator('#property-status [role=alert]').waitFor();
      expect(await page.locator('#property-status').textContent()).toMatch(
        /Property name 'nodots' is not valid/,
      );
      expect((await prop('nodots')).status).toBe(404);
      await ui.shot(page, '24-property-error');

      await page.getByLabel('Property name').fill('lab.qc.note');
      await page.getByLabel('Value', { exact: true }).fill('first pass');
      await page.getByRole('button', { name: 'Add property' }).click();
      await page.getByText('Added lab.qc.note.').waitFor();
      expect((await prop('lab.qc.note')).body.Response).toMatchObject({
        Type: 'string',
        Content: 'first pass',
      });
      expect(await page.locator('#properties tbody').textContent()).toContain('first pass');

      await page.getByRole('button', { name: 'Edit lab.qc.note' }).click();
      await page.getByLabel('New value of lab.qc.note').fill('second pass');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Changed lab.qc.note.').waitFor();
      expect((await prop('lab.qc.note')).body.Response.Content).toBe('second pass');
      expect(await page.locator('#properties tbody').textContent()).toContain('second pass');
      await ui.shot(page, '25-property-changed');

      await page.getByRole('button', { name: 'Delete lab.qc.note' }).click();
      await page.getByText('Deleted lab.qc.note.').waitFor();
      expect((await prop('lab.qc.note')).status).toBe(404);
      expect(await page.locator('#properties').textContent()).toContain('No properties.');

      // The app result page's property panel edits too.
      const results = (
        await api(ui.hub.url, alice.token, 'GET', `projects/${projectId}/appresults`)
      ).body.Response.Items;
      const live = results.find((r: any) => r.Name === 'Live one');
      await page.goto(url(`/app/appresults/${live.Id}`));
      await page.getByLabel('Property name').fill('aligner.version');
      await page.getByLabel('Value', { exact: true }).fill('2.1');
      await page.getByRole('button', { name: 'Add property' }).click();
      await page.getByText('Added aligner.version.').waitFor();
      const onResult = await api(
        ui.hub.url,
        alice.token,
        'GET',
        `appresults/${live.Id}/properties/aligner.version`,
      );
      expect(onResult.body.Response.Content).toBe('2.1');

      // A Read collaborator sees the properties but no editing.
      await api(ui.hub.url, alice.token, 'POST', `projects/${projectId}/properties`, {
        Properties: [{ Type: 'string', Name: 'lab.owner.note', Content: 'keep' }],
      });
      await api(ui.hub.url, alice.token, 'POST', `projects/${projectId}/collaborators`, {
        Email: bob.user.email,
        Access: 'Read',
      });
      const bobContext = await ui.newContext();
      const bobPage = await bobContext.newPage();
      await ui.signIn(bobPage, bob.user.email);
      await bobPage.goto(url(`/app/projects/${projectId}/properties`));
      await bobPage.getByText('lab.owner.note').waitFor();
      expect(await bobPage.locator('#property-add').count()).toBe(0);
      expect(await bobPage.getByRole('button', { name: /Edit|Delete/ }).count()).toBe(0);
      await bobContext.close();
      await api(
        ui.hub.url,
        alice.token,
        'DELETE',
        `projects/${projectId}/collaborators/${bob.user.id}`,
      );
    });

    it('Sharing: a share link, created and copied, lets a second signed-in user read the project; deactivating it ends that', async () => {
      await page.goto(url(`/app/projects/${projectId}/sharing`));
      await page.getByText('No share links yet.').waitFor();
      await page.getByLabel('Link label (optional)').fill('For Bob');
      await page.getByRole('button', { name: 'Create link' }).click();
      const field = page.locator('#share-link-url');
      await field.waitFor();
      const link = await field.inputValue();
      expect(link).toMatch(
        new RegExp(`^${ui.hub.url}/app/projects/${projectId}\\?link=[0-9a-f]{40}$`),
      );
      const secret = new URL(link).searchParams.get('link')!;
      await page.getByRole('button', { name: 'Copy link' }).click();
      await page
        .locator('#share-link-created')
        .getByText(/Copied\.|Select it and copy\./)
        .waitFor();
      const listed = page.locator('#share-links tbody tr');
      expect(await listed.count()).toBe(1);
      expect(await listed.first().textContent()).toMatch(/For Bob.*Active/);
      await ui.shot(page, '26-share-link-created');

      // Bob, signed in but not a collaborator: the project alone is not his to see...
      const bobContext = await ui.newContext();
      const bobPage = await bobContext.newPage();
      await ui.signIn(bobPage, bob.user.email);
      await bobPage.goto(url(`/app/projects/${projectId}`));
      await bobPage.getByRole('alert').waitFor();
      // ...through the link he reads it: its samples, its app results, tab to tab.
      await bobPage.goto(link);
      await bobPage.getByRole('heading', { name: 'Data Project' }).waitFor();
      await bobPage.locator('#via-link').waitFor();
      await bobPage.locator('[role=tabpanel] table tbody tr').first().waitFor();
      const samples = (await api(ui.hub.url, alice.token, 'GET', `projects/${projectId}/samples`))
        .body.Response;
      expect(await bobPage.locator('[role=tabpanel] table tbody tr').count()).toBe(
        samples.TotalCount,
      );
      await bobPage.getByRole('tab', { name: 'App Results' }).click();
      await bobPage.locator('[role=tabpanel] td', { hasText: 'Demultiplexing reports' }).waitFor();
      // Not links: the app result pages do not read through a share link yet.
      expect(await bobPage.locator('[role=tabpanel] a').count()).toBe(0);
      expect(bobPage.url()).toContain(`?link=${secret}`);
      expect(await bobPage.getByRole('button', { name: 'Create app result' }).count()).toBe(0);
      await ui.shot(bobPage, '27-project-through-link');

      // Someone not signed in at all reads it too: no detour through the sign-in page.
      const anonContext = await ui.newContext();
      const anonPage = await anonContext.newPage();
      await anonPage.goto(link);
      await anonPage.getByRole('heading', { name: 'Data Project' }).waitFor();
      await anonPage.locator('#via-link').waitFor();
      await anonPage.locator('[role=tabpanel] table tbody tr').first().waitFor();
      expect(new URL(anonPage.url()).pathname).toBe(`/app/projects/${projectId}`);
      expect(await anonPage.locator('#who').textContent()).toMatch(/Reading through a share link/);
      await anonPage.getByRole('tab', { name: 'App Results' }).click();
      await anonPage.locator('[role=tabpanel] td', { hasText: 'Demultiplexing reports' }).waitFor();
      await ui.shot(anonPage, '27b-project-through-link-signed-out');

      // Alice deactivates it: the link no longer opens the project.
      await page.getByRole('button', { name: 'Deactivate link For Bob' }).click();
      await page.getByText('Link For Bob no longer works.').waitFor();
      await page.locator('#share-links tbody tr .badge', { hasText: 'Deactivated' }).waitFor();
      await ui.shot(page, '28-share-link-deactivated');
      await bobPage.reload();
      await bobPage.locator('#link-inactive').waitFor();
      expect(await bobPage.getByRole('heading', { name: 'Data Project' }).count()).toBe(0);
      const direct = await fetch(url(`/v1pre3/projects/${projectId}`), {
        headers: { 'x-access-token': secret },
      });
      expect(direct.status).toBe(401);
      await ui.shot(bobPage, '29-share-link-inactive');
      await anonPage.reload();
      await anonPage.locator('#link-inactive').waitFor();
      await anonContext.close();
      await bobContext.close();
    });

    it('no request left 127.0.0.1', () => {
      const outside = ui.requested.filter(
        (u) =>
          !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).hostname !== '127.0.0.1',
      );
      expect(ui.requested.length).toBeGreaterThan(20);
      expect(outside).toEqual([]);
    });
  },
);
