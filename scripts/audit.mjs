#!/usr/bin/env node
// Dependency audit for CI (issue 11, docs/security.md "Dependency audit"): runs
// `npm audit --omit=dev --json` and fails on any advisory against a production dependency that
// security/audit-allowlist.json does not accept, or accepts past its review date.
//
//   node scripts/audit.mjs                  audit, exit 1 on an unaccepted advisory
//   node scripts/audit.mjs --input r.json   judge a saved `npm audit --json` report instead
//   node scripts/audit.mjs --allowlist f    another allow-list file
//   --require-endpoint (or SEQHUB_AUDIT_REQUIRE_ENDPOINT=1)
//                                           exit 3, not 0, when the advisory endpoint cannot be
//                                           reached (a registry mirror or proxy without it)
//
// Exit codes: 0 clean (or endpoint unreachable without --require-endpoint, said loudly),
// 1 unaccepted or expired advisories, 2 a bad allow-list or report, 3 endpoint unreachable
// with --require-endpoint.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const requireEndpoint =
  args.includes('--require-endpoint') || process.env.SEQHUB_AUDIT_REQUIRE_ENDPOINT === '1';
const allowlistPath = option('--allowlist') ?? join(root, 'security/audit-allowlist.json');
const today = process.env.SEQHUB_AUDIT_TODAY ?? new Date().toISOString().slice(0, 10);

function fail(code, message) {
  process.stderr.write(`audit: ${message}\n`);
  process.exit(code);
}

function loadAllowlist() {
  let list;
  try {
    list = JSON.parse(readFileSync(allowlistPath, 'utf8'));
  } catch (error) {
    fail(2, `cannot read the allow-list ${allowlistPath}: ${error.message}`);
  }
  if (!Array.isArray(list?.advisories)) fail(2, `${allowlistPath}: no "advisories" array`);
  for (const entry of list.advisories) {
    const ok =
      (typeof entry.id === 'number' || /^GHSA(-[0-9a-z]{4}){3}$/.test(entry.id ?? '')) &&
      typeof entry.package === 'string' &&
      typeof entry.reason === 'string' &&
      entry.reason.trim().length >= 10 &&
      /^\d{4}-\d{2}-\d{2}$/.test(entry.reviewBy ?? '');
    if (!ok)
      fail(
        2,
        `${allowlistPath}: each entry needs id (npm advisory number or GHSA id), package, ` +
          `reason (a sentence) and reviewBy (YYYY-MM-DD): ${JSON.stringify(entry)}`,
      );
  }
  return list.advisories;
}

function loadReport() {
  const input = option('--input');
  if (input) return { text: readFileSync(input, 'utf8'), stderr: '' };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) fail(2, `could not run npm audit: ${run.error.message}`);
  return { text: run.stdout, stderr: run.stderr ?? '' };
}

/** The GHSA id at the end of an advisory URL (`https://github.com/advisories/GHSA-...`). */
const ghsaOf = (url) => /GHSA(-[0-9a-z]{4}){3}/.exec(url ?? '')?.[0];

const allowlist = loadAllowlist();
const { text, stderr } = loadReport();
let report;
try {
  report = JSON.parse(text);
} catch {
  fail(2, `npm audit printed no JSON report:\n${text.slice(0, 500)}${stderr.slice(0, 500)}`);
}

// npm prints `{"message": "...", "statusCode": 405, ...}` (or `{"error": {...}}`) when the
// registry has no bulk-advisory endpoint: a mirror, a proxy that allows only GET, no network.
if (!report.vulnerabilities) {
  const why =
    report.message ?? report.error?.summary ?? report.error?.code ?? JSON.stringify(report);
  const message =
    `the advisory endpoint could not be reached, so NO AUDIT WAS DONE: ${why}. ` +
    `npm audit needs POST /-/npm/v1/security/advisories/bulk on the registry (${report.uri ?? 'npm config get registry'}).`;
  if (requireEndpoint) fail(3, message);
  process.stderr.write(`audit: WARNING: ${message}\n`);
  process.exit(0);
}

// Every advisory (not the packages that merely depend on a vulnerable one).
const advisories = new Map();
for (const [name, vuln] of Object.entries(report.vulnerabilities)) {
  for (const via of vuln.via ?? []) {
    if (typeof via !== 'object') continue;
    const key = via.source ?? via.url;
    advisories.set(key, {
      id: via.source,
      ghsa: ghsaOf(via.url),
      package: via.name ?? name,
      title: via.title,
      severity: via.severity,
      url: via.url,
      range: via.range,
    });
  }
}

const problems = [];
const accepted = [];
for (const a of advisories.values()) {
  const entry = allowlist.find(
    (e) => (e.id === a.id || (a.ghsa && e.id === a.ghsa)) && e.package === a.package,
  );
  const line = `${a.package} ${a.range ?? ''}: ${a.severity} ${a.title} (${a.ghsa ?? a.id}, ${a.url})`;
  if (!entry) problems.push(`not accepted: ${line}`);
  else if (entry.reviewBy < today)
    problems.push(`acceptance expired on ${entry.reviewBy}, review it again: ${line}`);
  else accepted.push(`${line}\n    accepted until ${entry.reviewBy}: ${entry.reason}`);
}
const unused = allowlist.filter(
  (e) => ![...advisories.values()].some((a) => a.id === e.id || a.ghsa === e.id),
);

for (const a of accepted) process.stdout.write(`audit: ${a}\n`);
for (const e of unused)
  process.stdout.write(
    `audit: note: allow-list entry ${e.id} (${e.package}) no longer matches any advisory; remove it\n`,
  );
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`audit: ${p}\n`);
  fail(
    1,
    `${problems.length} advisory(ies) against production dependencies: upgrade, or accept each in ` +
      `${allowlistPath} with a reason and a review date`,
  );
}
process.stdout.write(
  `audit: ${advisories.size} advisories against production dependencies, all accepted (${accepted.length}); ` +
    `${Object.keys(report.vulnerabilities).length} vulnerable package entries\n`,
);
