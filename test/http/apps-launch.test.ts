import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApplication } from '../../src/apps/index.js';
import type { AppManifest } from '../../src/domain/index.js';
import { backends, type Backend } from '../support/backends.js';
import { BCL2FASTR_RUN } from '../support/demux.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { api, importRun, listAll, waitForSession } from '../support/demux-http.js';
import { FilesClient } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Launch checks (issue 12: every bad launch a clear 4xx that names the input, nothing written)
 * and the runner's guarantees, shown with small apps registered by the test: stop kills the
 * process tree (Aborted, nothing visible), the time and memory limits end a run NeedsAttention,
 * and the app's environment holds none of the hub's settings.
 */
const R1 = fileURLToPath(new URL('../fixtures/apps/reads_R1.fastq.gz', import.meta.url));

const testApp = (
  id: string,
  slug: string,
  script: string,
  limits: Partial<AppManifest['resources']> = {},
): AppManifest => ({
  id,
  slug,
  name: `Test ${slug}`,
  version: '0.0.1',
  shortDescription: 'test app',
  longDescription: 'test app',
  category: 'Analytic',
  datePublished: '2026-11-29T00:00:00.0000000Z',
  inputs: [
    { id: 'project-id', label: 'Project', kind: 'project', required: true },
    { id: 'sample-id', label: 'Samples', kind: 'sample[]', required: true },
    {
      id: 'mode',
      label: 'Mode',
      kind: 'enum',
      required: false,
      default: 'fast',
      choices: ['fast', 'slow'],
    },
  ],
  outputs: [],
  resources: { timeLimitSeconds: 600, memoryMb: 1024, threads: 1, ...limits },
  engine: {
    kind: 'script',
    tools: [],
    needsGenomeIndex: false,
    script,
  },
});

// A marker no other process has in its command line, to find the app's processes by.
const MARKER = `${process.pid}${Date.now() % 100000}`;
registerApplication(
  testApp('9001', 'test-sleep', `echo "[all] sleeping"\n(sleep 3${MARKER} &)\nsleep 3${MARKER}\n`),
);
registerApplication(
  testApp('9002', 'test-timeout', 'echo "[all] sleeping"\nsleep 30\n', { timeLimitSeconds: 1 }),
);
registerApplication(
  testApp(
    '9003',
    'test-memory',
    // 300 MB in one string, under a 64 MB address-space limit.
    `perl -e '$x = "a" x (300 * 1024 * 1024); print length($x), "\\n"'\n`,
    { memoryMb: 64 },
  ),
);
registerApplication(
  testApp(
    '9004',
    'test-env',
    'env | sort\nmkdir -p outputs/"$(cut -f1 inputs/samples.tsv | head -1)"\necho "$OPT_MODE" > outputs/"$(cut -f1 inputs/samples.tsv | head -1)"/mode.txt\n',
  ),
);

/** Snoop apps registered so far (one per backend: each is told its own hub's paths and port). */
let snoops = 0;

/** Pids whose command line holds the marker. */
function markedProcesses(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARKER)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe.each(backends())('app launch and runner on $kind', (backend: Backend) => {
  let hub: TestHub;
  let token: string;
  let projectId: string;
  let sampleId: string;
  const call = (method: string, path: string, body?: unknown, as = token) =>
    api(hub.url, as, method, path, body);
  const props = (over: Record<string, unknown> = {}) => {
    const base: Record<string, unknown> = {
      'Input.project-id': { Type: 'project', Content: `v1pre3/projects/${projectId}` },
      'Input.sample-id': { Type: 'sample[]', Items: [`v1pre3/samples/${sampleId}`] },
      ...over,
    };
    return Object.entries(base)
      .filter(([, v]) => v !== undefined)
      .map(([Name, v]) => ({ Name, ...(v as object) }));
  };
  const launch = (app: string, properties: unknown[], as = token) =>
    call('POST', `applications/${app}/appsessions`, { Properties: properties }, as);
  /** Launched sessions (creating a Sample through the API makes an API-client session). */
  const sessionCount = async () =>
    (await listAll(hub.url, token, 'users/current/appsessions')).filter(
      (s: any) => s.Application.Id !== '1',
    ).length;

  beforeAll(async () => {
    // bwrap required: a sandbox that stopped working must fail here, not fall back quietly.
    hub = await startTestHub(backend, { env: { SEQHUB_APP_ISOLATION: 'bwrap' } });
    ({ token } = await hub.newUser());
    projectId = (await call('POST', 'projects', { Name: 'launch checks' })).body.Response.Id;
    sampleId = (
      await call('POST', `projects/${projectId}/samples`, { Name: 'S 1', SampleId: 'S1' })
    ).body.Response.Id;
    const files = new FilesClient(hub.url, token);
    await files.upload(
      'samples',
      sampleId,
      'S1_S1_L001_R1_001.fastq.gz',
      '',
      readFileSync(R1),
      'application/gzip',
    );
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
  });

  it('bad launches are clear 4xx naming the input, and write nothing', async () => {
    const before = await sessionCount();
    const expectError = async (
      res: { status: number; body: any },
      status: number,
      code: string,
      message: RegExp,
    ) => {
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.ResponseStatus.ErrorCode).toBe(code);
      expect(res.body.ResponseStatus.Message).toMatch(message);
    };
    await expectError(
      await launch('no-such-app', props()),
      404,
      'NotFound',
      /Application id 'no-such-app'/,
    );
    await expectError(
      await launch('1', props()),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /cannot be launched/,
    );
    await expectError(
      await launch('fastq-qc', props({ 'Input.sample-id': undefined })),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.sample-id \(Samples\) is required/,
    );
    await expectError(
      await launch(
        'fastq-qc',
        props({ 'Input.sample-id': { Type: 'sample[]', Items: ['v1pre3/samples/999999'] } }),
      ),
      404,
      'NotFound',
      /^Input\.sample-id: Sample id '999999' doesn't exist/,
    );
    // Another user's sample: as unreadable as a missing one.
    const other = await hub.newUser();
    const otherProject = (await call('POST', 'projects', { Name: 'theirs' }, other.token)).body
      .Response.Id;
    const theirSample = (
      await call(
        'POST',
        `projects/${otherProject}/samples`,
        { Name: 'T', SampleId: 'T' },
        other.token,
      )
    ).body.Response.Id;
    await expectError(
      await launch(
        'fastq-qc',
        props({ 'Input.sample-id': { Type: 'sample[]', Items: [theirSample] } }),
      ),
      404,
      'NotFound',
      /^Input\.sample-id: Sample id/,
    );
    await expectError(
      await launch(
        'fastq-qc',
        props({ 'Input.sample-id': { Type: 'project', Content: `v1pre3/projects/${projectId}` } }),
      ),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.sample-id must have Type 'sample\[\]'/,
    );
    await expectError(
      await launch(
        'fastq-qc',
        props({ 'Input.dup-accuracy': { Type: 'string', Content: 'high' } }),
      ),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.dup-accuracy: 'high' is not a number/,
    );
    await expectError(
      await launch('fastq-qc', props({ 'Input.dup-accuracy': { Type: 'string', Content: '9' } })),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.dup-accuracy: 9 is outside 1\.\.3/,
    );
    await expectError(
      await launch(
        'fastq-qc',
        props({ 'Input.adapter-detection': { Type: 'string', Content: 'maybe' } }),
      ),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.adapter-detection: 'maybe' is not true or false/,
    );
    await expectError(
      await launch('test-env', props({ 'Input.mode': { Type: 'string', Content: 'turbo' } })),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.mode: 'turbo' is not one of fast, slow/,
    );
    await expectError(
      await launch('fastq-qc', props({ 'Input.colour': { Type: 'string', Content: 'red' } })),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.colour is not an input of fastq-qc/,
    );
    await expectError(
      await launch('fastq-qc', props({ 'Input.bad name!': { Type: 'string', Content: 'x' } })),
      400,
      'BASESPACE.PROPERTIES.NAME_INVALID',
      /bad name!/,
    );
    // A genome without sequence (the seeded catalog) and one that does not exist.
    await expectError(
      await launch(
        'resequencing',
        props({ 'Input.genome-id': { Type: 'string', Content: 'v1pre3/genomes/4' } }),
      ),
      400,
      'BASESPACE.GENOMES.NO_SEQUENCE',
      /Input\.genome-id: genome 4 \(Homo sapiens \(UCSC hg19 \/ GRCh37\)\) has no sequence/,
    );
    await expectError(
      await launch(
        'resequencing',
        props({ 'Input.genome-id': { Type: 'string', Content: '9999' } }),
      ),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.genome-id: genome 9999 doesn't exist/,
    );
    // A sample without FASTQ.
    const empty = (
      await call('POST', `projects/${projectId}/samples`, { Name: 'E', SampleId: 'E' })
    ).body.Response.Id;
    await expectError(
      await launch('fastq-qc', props({ 'Input.sample-id': { Type: 'sample[]', Items: [empty] } })),
      400,
      'BASESPACE.APPLICATIONS.INPUT_INVALID',
      /Input\.sample-id: sample \d+ \(E\) has no complete FASTQ file/,
    );
    // A project the caller may only read: 403 naming it.
    const me = (await call('GET', 'users/current')).body.Response.Id;
    const shared = await call(
      'POST',
      `projects/${otherProject}/collaborators`,
      { UserId: me, Access: 'Read' },
      other.token,
    );
    expect(shared.status).toBe(200);
    await expectError(
      await launch(
        'fastq-qc',
        props({
          'Input.project-id': { Type: 'project', Content: `v1pre3/projects/${otherProject}` },
        }),
      ),
      403,
      'Forbidden',
      /^Input\.project-id: /,
    );
    expect(await sessionCount()).toBe(before);
  });

  it('stop (v2 and v1pre3) kills the process tree: Aborted, log kept, nothing visible', async () => {
    for (const path of ['v2/appsessions/:id/stop', 'appsessions/:id/stop']) {
      expect(markedProcesses()).toEqual([]);
      const started = await launch('test-sleep', props());
      expect(started.status).toBe(200);
      const id = started.body.Response.Id;
      const until = Date.now() + 30_000;
      while (markedProcesses().length < 2) {
        if (Date.now() > until) throw new Error('the app did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const stopped = await call('POST', path.replace(':id', id), {});
      expect(stopped.status).toBe(200);
      expect(stopped.body.Response.Status).toBe('Aborted');
      while (markedProcesses().length > 0) {
        if (Date.now() > until) throw new Error(`processes left: ${markedProcesses().join(' ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      let log = '';
      while (!log.includes('stopped by the user')) {
        if (Date.now() > until) throw new Error(`log: ${log}`);
        await new Promise((r) => setTimeout(r, 50));
        log = await (
          await fetch(`${hub.url}/v1pre3/appsessions/${id}/logs`, {
            headers: { 'x-access-token': token },
          })
        ).text();
      }
      expect(log).toContain('[all] sleeping');
      const session = (await call('GET', `appsessions/${id}`)).body.Response;
      expect(session.Status).toBe('Aborted');
      expect(await listAll(hub.url, token, `appsessions/${id}/appresults`)).toEqual([]);
      expect(readdirSync(join(hub.dataDir, 'staging', 'apps'))).toEqual([]);
    }
  }, 90_000);

  it('the time limit ends the run NeedsAttention', async () => {
    const started = await launch('test-timeout', props());
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 60_000);
    expect(session.Status).toBe('NeedsAttention');
    expect(session.StatusSummary).toBe(
      'Test test-timeout failed: the time limit of 1 s was exceeded',
    );
  }, 90_000);

  it("the memory limit ends the run NeedsAttention with the tool's error in the log", async () => {
    const started = await launch('test-memory', props());
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 60_000);
    expect(session.Status).toBe('NeedsAttention');
    expect(session.StatusSummary).toMatch(
      /^Test test-memory failed: test-memory ended with exit code/,
    );
    const log = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${session.Id}/logs`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    expect(log).toMatch(/Out of memory/i);
  }, 90_000);

  it('the app sees only its own environment: no hub settings or secrets', async () => {
    const started = await launch('test-env', props());
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 60_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    const log = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${session.Id}/logs`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    const names = log
      .split('\n')
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n)).sort()).toEqual([
      'HOME',
      'LC_ALL',
      'OPT_MODE',
      'PATH',
      'SEQHUB_APP',
      'SEQHUB_THREADS',
      'TMPDIR',
    ]);
    expect(log).toContain('OPT_MODE=fast');
    expect(log).toContain('PATH=/usr/local/bin:/usr/bin:/bin');
    const [resultId] = (
      await call('GET', `appsessions/${session.Id}/appresults`)
    ).body.Response.Items.map((r: any) => r.Id);
    const files = await listAll(hub.url, token, `appresults/${resultId}/files`);
    expect(files.map((f: any) => f.Name)).toEqual(['mode.txt']);
  }, 90_000);

  it("the Python SDK's launchApp, getAppSessionById and getAppResultFromAppSessionId work", async () => {
    const sdk = new PythonSdkClient(hub.url, token);
    // What LaunchSpecification.populate_properties builds (lower-case `items`, hrefs prefixed
    // with the API version, the sample attributes map[]) under LAUNCH_HEADER, and launchApp
    // posts as given: POST applications/{appId}/appsessions.
    const configJson = JSON.stringify({
      StatusSummary: 'AutoLaunch',
      AutoStart: true,
      Name: 'SDK launch',
      Properties: [
        { Name: 'Input.project-id', Type: 'project', Content: `v1pre3/projects/${projectId}` },
        { Name: 'Input.sample-id', Type: 'sample[]', items: [`v1pre3/samples/${sampleId}`] },
        { Name: 'Input.mode', Type: 'string', Content: 'slow' },
        {
          Type: 'map[]',
          Name: 'Input.sample-id.attributes',
          items: [
            [
              { Key: 'FieldId', Values: ['sample-id'] },
              { Key: 'ResourceType', Values: ['sample'] },
              { Key: 'ResourceId', Values: [sampleId] },
              { Key: 'ResourceHref', Values: [`v1pre3/samples/${sampleId}`] },
              { Key: 'Input.lane', Values: ['1'] },
            ],
          ],
        },
      ],
    });
    // AppLaunchResponse: the SDK raises on an ErrorCode, parses the dates, reads Properties.
    const launched = sdkResponse(await sdk.postText('applications/9004/appsessions', configJson));
    expect(launched).toMatchObject({
      Name: 'SDK launch',
      Status: 'Running',
      StatusSummary: 'AutoLaunch',
      Href: `v1pre3/appsessions/${launched.Id}`,
      Application: { Id: '9004' },
    });
    expect(Number.isNaN(Date.parse(launched.DateCreated))).toBe(false);
    expect(Number.isNaN(Date.parse(launched.ModifiedOn))).toBe(false);
    const launchProps = Object.fromEntries(launched.Properties.Items.map((p: any) => [p.Name, p]));
    expect(launchProps['Input.mode']).toMatchObject({ Type: 'string', Content: 'slow' });
    expect(launchProps['Input.sample-id'].Type).toBe('sample[]');

    // getAppSessionById until the app is done; References are deserialized by Type.
    const until = Date.now() + 60_000;
    let session = await sdk.object(`appsessions/${launched.Id}`);
    while (session.Status === 'Running') {
      if (Date.now() > until) throw new Error(`still running: ${session.StatusSummary}`);
      await new Promise((r) => setTimeout(r, 200));
      session = await sdk.object(`appsessions/${launched.Id}`);
    }
    expect(session.Status, session.StatusSummary).toBe('Complete');
    expect(session.Application).toMatchObject({ Id: '9004', Name: 'Test test-env' });
    expect(Array.isArray(session.References)).toBe(true);
    for (const ref of session.References) {
      expect(typeof ref.Type).toBe('string');
      expect(typeof ref.Content).toBe('object');
    }

    // getAppResultFromAppSessionId: the Output.AppResults items (the SDK picks the response
    // model by their Type), exactly one; then getAppResultById and getAppResultFilesById.
    const ars = await sdk.object(`appsessions/${launched.Id}/properties/Output.AppResults/items`);
    expect(ars.Items).toHaveLength(1);
    const appResult = ars.Items[0].Content;
    expect(typeof appResult.Name).toBe('string');
    const byId = await sdk.object(`appresults/${appResult.Id}`);
    expect(byId).toMatchObject({ Id: appResult.Id, Status: 'Complete' });
    expect(byId.AppSession.Id).toBe(launched.Id);
    const files = await sdk.listAll(`appresults/${appResult.Id}/files`);
    expect(files.map((f: any) => f.Name)).toEqual(['mode.txt']);
    const content = await fetch(`${hub.url}/v1pre3/files/${files[0].Id}/content`, {
      headers: { 'x-access-token': token },
    });
    expect(await content.text()).toBe('slow\n');
  }, 90_000);

  it('the app sees nothing of the hub: no data dir, database, settings, processes or network', async () => {
    // Paths this hub really has, and its listening port: the app is told them and must not
    // reach any (bubblewrap: its own folder at /work, read-only /usr, no network namespace).
    const port = new URL(hub.url).port;
    const secrets = [
      hub.dataDir,
      join(hub.dataDir, 'seqhub.db'),
      join(hub.dataDir, 'blobs'),
      process.cwd(),
      '/root',
      '/etc/passwd',
      '/var/run/postgresql',
    ];
    registerApplication(
      testApp(
        String(9005 + snoops),
        `test-snoop-${snoops}`,
        [
          'out=outputs/"$(cut -f1 inputs/samples.tsv | head -1)"',
          'mkdir -p "$out"',
          '{',
          '  echo "pwd=$(pwd)"',
          ...secrets.map(
            (p) => `  if [ -e '${p}' ]; then echo "sees ${p}"; else echo "hidden ${p}"; fi`,
          ),
          `  if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo "hub reachable"; else echo "hub unreachable"; fi`,
          '  echo "processes=$(ls -d /proc/[0-9]* | wc -l)"',
          '  echo "inputs=$(ls inputs | sort | tr "\n" " ")"',
          '  samtools --version | head -1',
          '  echo hi | awk \'{print "awk " $1}\'',
          '} > "$out/probe.txt"',
          '',
        ].join('\n'),
      ),
    );
    const started = await launch(`test-snoop-${snoops++}`, props());
    expect(started.status).toBe(200);
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 60_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    const [resultId] = (
      await call('GET', `appsessions/${session.Id}/appresults`)
    ).body.Response.Items.map((r: any) => r.Id);
    const [file] = await listAll(hub.url, token, `appresults/${resultId}/files`);
    const probe = await (
      await fetch(`${hub.url}/v1pre3/files/${file.Id}/content`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    const lines = probe.trim().split('\n');
    expect(lines[0]).toBe('pwd=/work');
    for (const p of secrets) expect(lines).toContain(`hidden ${p}`);
    expect(lines).toContain('hub unreachable');
    // Its own PID namespace: the sandbox's init, bash and ls, not the machine's processes.
    const processes = Number(lines.find((l) => l.startsWith('processes='))!.split('=')[1]);
    expect(processes).toBeGreaterThan(0);
    expect(processes).toBeLessThan(8);
    expect(lines).toContain(`inputs=${sampleId} samples.tsv `);
    // The tools still work: Debian's samtools from /usr, awk through /etc/alternatives.
    expect(lines.some((l) => /^samtools \d/.test(l))).toBe(true);
    expect(lines).toContain('awk hi');
  }, 90_000);
});

describe.skipIf(!BCL2FASTR_RUN)('bcl-convert, launched like any app', () => {
  let hub: TestHub;
  let token: string;
  afterAll(async () => hub?.close());

  it('runs the demultiplexing job: Complete, Samples written, Input.* as launched', async () => {
    hub = await startTestHub(backends()[0]!);
    const { user, token: t } = await hub.newUser();
    token = t;
    const runId = await importRun(hub, user, BCL2FASTR_RUN!);
    const projectId = (await api(hub.url, token, 'POST', 'projects', { Name: 'bcl' })).body.Response
      .Id;
    const started = await api(hub.url, token, 'POST', 'applications/bcl-convert/appsessions', {
      Properties: [
        { Name: 'Input.run-id', Type: 'run', Content: `v1pre3/runs/${runId}` },
        { Name: 'Input.project-id', Type: 'project', Content: `v1pre3/projects/${projectId}` },
        { Name: 'Input.barcode-mismatches-index1', Type: 'string', Content: '1' },
      ],
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.Response.Application).toMatchObject({ Id: '2' });
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 120_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    const samples = await listAll(hub.url, token, `projects/${projectId}/samples`);
    expect(samples.length).toBeGreaterThan(0);
    const props = Object.fromEntries(
      (await listAll(hub.url, token, `appsessions/${session.Id}/properties`)).map((p: any) => [
        p.Name,
        p,
      ]),
    );
    expect(props['Input.run-id'].Content.Id).toBe(runId);
    expect(props['Input.barcode-mismatches-index1'].Content).toBe('1');
    expect(props['Input.with-failed-reads'].Content).toBe('false');
    const outputs = await listAll(
      hub.url,
      token,
      `appsessions/${session.Id}/properties/Output.Samples/items`,
    );
    expect(outputs).toHaveLength(samples.length);
  }, 180_000);
});
