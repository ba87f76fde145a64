/**
 * scripts/audit.mjs (issue 11, docs/security.md "Dependency audit"), judged on saved
 * `npm audit --json` reports: what fails CI, what an allow-list entry accepts and until when,
 * and what happens when the registry has no advisory endpoint.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'seqhub-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function audit(report: unknown, allow: unknown[] = [], extra: string[] = [], env = {}) {
  n += 1;
  const input = join(dir, `report-${n}.json`);
  const allowlist = join(dir, `allow-${n}.json`);
  writeFileSync(input, JSON.stringify(report));
  writeFileSync(allowlist, JSON.stringify({ advisories: allow }));
  const run = spawnSync(
    process.execPath,
    ['scripts/audit.mjs', '--input', input, '--allowlist', allowlist, ...extra],
    { encoding: 'utf8', env: { ...process.env, SEQHUB_AUDIT_TODAY: '2026-11-29', ...env } },
  );
  return { status: run.status, out: run.stdout + run.stderr };
}

/** Two advisories: one in a direct dependency, one reached through it. */
const vulnerable = {
  auditReportVersion: 2,
  vulnerabilities: {
    'fast-xml-parser': {
      name: 'fast-xml-parser',
      severity: 'high',
      via: [
        {
          source: 1100001,
          name: 'fast-xml-parser',
          title: 'Prototype pollution',
          url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
          severity: 'high',
          range: '<5.0.0',
        },
      ],
    },
    strnum: {
      name: 'strnum',
      severity: 'moderate',
      via: [
        {
          source: 1100002,
          name: 'strnum',
          title: 'ReDoS',
          url: 'https://github.com/advisories/GHSA-dddd-eeee-ffff',
          severity: 'moderate',
          range: '<2.0.0',
        },
      ],
    },
    dependent: { name: 'dependent', severity: 'moderate', via: ['strnum'] },
  },
};
const reason = 'Only reached through an admin-only path; upgrade blocked by issue 99.';

describe('scripts/audit.mjs', () => {
  it('a report with no advisories passes', () => {
    const r = audit({ auditReportVersion: 2, vulnerabilities: {} });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/0 advisories/);
  });

  it('fails on advisories not in the allow-list, naming each', () => {
    const r = audit(vulnerable);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/not accepted: fast-xml-parser <5\.0\.0: high Prototype pollution/);
    expect(r.out).toMatch(/not accepted: strnum/);
  });

  it('accepts advisories listed by number or GHSA id until their review date', () => {
    const allow = [
      { id: 1100001, package: 'fast-xml-parser', reason, reviewBy: '2027-01-31' },
      { id: 'GHSA-dddd-eeee-ffff', package: 'strnum', reason, reviewBy: '2026-11-29' },
    ];
    const r = audit(vulnerable, allow);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/accepted until 2027-01-31/);
  });

  it('fails once an acceptance is past its review date', () => {
    const allow = [
      { id: 1100001, package: 'fast-xml-parser', reason, reviewBy: '2026-11-28' },
      { id: 1100002, package: 'strnum', reason, reviewBy: '2027-01-31' },
    ];
    const r = audit(vulnerable, allow);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/acceptance expired on 2026-11-28/);
  });

  it('refuses an allow-list entry without a reason or a review date', () => {
    const r = audit(vulnerable, [{ id: 1100001, package: 'fast-xml-parser', reason: 'ok' }]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/reviewBy/);
  });

  it('says loudly that no audit was done when the endpoint is unreachable; --require-endpoint fails', () => {
    // What this machine's registry answers (a proxy that allows only GET and HEAD).
    const unreachable = {
      message:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
    };
    const soft = audit(unreachable);
    expect(soft.status).toBe(0);
    expect(soft.out).toMatch(/WARNING: .*NO AUDIT WAS DONE: 405 Method Not Allowed/);
    expect(audit(unreachable, [], ['--require-endpoint']).status).toBe(3);
    expect(audit(unreachable, [], [], { SEQHUB_AUDIT_REQUIRE_ENDPOINT: '1' }).status).toBe(3);
  });

  it('the committed allow-list is valid', () => {
    const run = spawnSync(
      process.execPath,
      ['scripts/audit.mjs', '--input', join(dir, 'report-1.json')],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
  });
});
