import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { FilesClient } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** `GET search` (issue 5, docs/api-choices.md "Search") over real HTTP, on both databases. */
describe.each(backends())('search on $kind', (backend) => {
  let hub: TestHub;
  let alice: PythonSdkClient;
  let bob: PythonSdkClient;
  let aliceUser: Awaited<ReturnType<TestHub['newUser']>>['user'];
  const ids: Record<string, string> = {};

  const search = async (client: PythonSdkClient, query: Record<string, string | number>) => {
    const reply = await client.get('search', query);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return sdkResponse(reply);
  };
  const names = (response: any) =>
    response.Items.map(
      (i: any) =>
        (
          i.Project ??
          i.Sample ??
          i.AppResult ??
          i.Run ??
          i.SampleFile ??
          i.AppResultFile ??
          i.RunFile
        ).Name,
    );

  beforeAll(async () => {
    hub = await startTestHub(backend);
    const a = await hub.newUser({ name: 'Alice' });
    aliceUser = a.user;
    alice = new PythonSdkClient(hub.url, a.token);
    bob = new PythonSdkClient(hub.url, (await hub.newUser({ name: 'Bob' })).token);

    const exome = sdkResponse(
      await alice.post('projects/', { Name: 'Exome Cohort', Description: 'tumour normal pairs' }),
    );
    const other = sdkResponse(await alice.post('projects/', { Name: 'BaseSpaceDemo' }));
    ids.exome = exome.Id;
    ids.other = other.Id;
    for (const [name, description] of [
      ['NA12878', 'platinum genome'],
      ['NA12878-rerun', 'NA12878 sequenced again'],
      ['HG002', 'ashkenazi son'],
    ]) {
      const s = sdkResponse(
        await alice.post(`projects/${exome.Id}/samples`, { Name: name, Description: description }),
      );
      ids[name!] = s.Id;
    }
    const demoSample = sdkResponse(
      await alice.post(`projects/${other.Id}/samples`, { Name: 'demo-sample' }),
    );
    ids.demo = demoSample.Id;
    const result = sdkResponse(
      await alice.post(`projects/${exome.Id}/appresults`, {
        Name: 'Variant calls',
        Description: 'germline NA12878',
      }),
    );
    ids.result = result.Id;
    // Properties are indexed: Input.Library on one sample.
    const set = await alice.post(`samples/${ids.HG002}/properties`, {
      Properties: [{ Type: 'string', Name: 'Input.Library', Content: 'TruSeq-Nano-XYZ' }],
    });
    expect(set.status).toBe(200);
    // A complete file is indexed; Bob's look-alikes never show for Alice.
    const files = new FilesClient(hub.url, a.token);
    const up = await files.upload('appresults', result.Id, 'calls.vcf', 'out', new Uint8Array([1]));
    expect(up.status).toBe(200);
    await hub.createRun(aliceUser, { name: 'RUN-NA12878-01', experimentName: 'Flowcell NA12878' });

    const bobProject = sdkResponse(await bob.post('projects/', { Name: 'NA12878' }));
    await bob.post(`projects/${bobProject.Id}/samples`, { Name: 'NA12878' });
  });
  afterAll(() => hub?.close());

  it('finds names, descriptions, properties, runs and files; exact name first', async () => {
    const r = await search(alice, { query: 'NA12878' });
    expect(r).toMatchObject({ TotalCount: 4, DisplayedCount: 4, Offset: 0, Limit: 10 });
    expect(r.SortBy).toBe('Score');
    expect(r.SortDir).toBe('Desc');
    expect(r.Items[0]).toMatchObject({
      Type: 'Sample',
      Sample: { Id: ids.NA12878, Name: 'NA12878' },
    });
    expect(r.Items[0].Score).toBeGreaterThanOrEqual(1000);
    expect(r.Items.slice(1).every((i: any) => i.Score < 1000)).toBe(true);
    expect(new Set(names(r))).toEqual(
      new Set(['NA12878', 'NA12878-rerun', 'Variant calls', 'RUN-NA12878-01']),
    );
    expect(r.Items.find((i: any) => i.Type === 'Run').Run.Name).toBe('RUN-NA12878-01');
    // A small match set is ranked: a name hit outranks a description-only hit.
    const order = names(r);
    expect(order.indexOf('NA12878-rerun')).toBeLessThan(order.indexOf('Variant calls'));
    expect(r.Items.find((i: any) => i.Type === 'AppResult').Score).toBeGreaterThan(0);

    const byProperty = await search(alice, { query: 'truseq-nano-xyz' });
    expect(names(byProperty)).toEqual(['HG002']);
    const file = await search(alice, { query: 'calls.vcf', scope: 'appresult_files' });
    expect(file.Items).toEqual([
      expect.objectContaining({
        Type: 'AppResultFile',
        AppResultFile: expect.objectContaining({ Name: 'calls.vcf' }),
      }),
    ]);
    expect(names(await search(alice, { query: '"tumour normal"' }))).toEqual(['Exome Cohort']);
    expect(names(await search(alice, { query: '"normal tumour"' }))).toEqual([]);
  });

  it('reindexes on property change and delete', async () => {
    await alice.post(`samples/${ids.demo}/properties`, {
      Properties: [{ Type: 'string', Name: 'Input.Library', Content: 'lib-alpha' }],
    });
    expect(names(await search(alice, { query: 'alpha' }))).toEqual(['demo-sample']);
    await alice.post(`samples/${ids.demo}/properties`, {
      Properties: [{ Type: 'string', Name: 'Input.Library', Content: 'lib-beta' }],
    });
    expect(names(await search(alice, { query: 'alpha' }))).toEqual([]);
    expect(names(await search(alice, { query: 'beta' }))).toEqual(['demo-sample']);
    const del = await fetch(`${hub.url}/v1pre3/samples/${ids.demo}/properties/Input.Library`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(del.status).toBe(200);
    expect((await search(alice, { query: 'beta' })).TotalCount).toBe(0);
  });

  it('a plain word finds what the same word twice finds (PostgreSQL: word table vs GIN)', async () => {
    // On PostgreSQL one plain word is answered from search_words (migration 0012), two words
    // through the GIN index: both must see the same hits, for both users, in every scope.
    const hits = (r: any) =>
      r.Items.map((i: any) => `${i.Type}:${(i[i.Type] ?? {}).Id}`).sort() as string[];
    for (const client of [alice, bob])
      for (const scope of ['', 'samples', 'runs,appresults', 'files'])
        for (const w of [
          'na12878',
          'NA12878',
          'tumour',
          'germline',
          'hg002',
          'calls',
          'vcf',
          'truseq',
          'xyz',
          'out',
          'flowcell',
          '01',
          'sample',
          'nomatch',
        ]) {
          const one = await search(client, { query: w, scope, Limit: 100 });
          const two = await search(client, { query: `${w} ${w}`, scope, Limit: 100 });
          expect(one.TotalCount, `${w} in '${scope}'`).toBe(two.TotalCount);
          expect(hits(one), `${w} in '${scope}'`).toEqual(hits(two));
        }
  });

  it.skipIf(backend.kind !== 'postgres')(
    'keeps search_words equal to the words of search_index through writes (PostgreSQL)',
    async () => {
      const { db } = hub.server.hub.db;
      const derived = sql`SELECT DISTINCT w AS word, si.id, si.project_id,
          CASE WHEN si.subject_kind = 'run' THEN si.subject_id END AS run_id, si.kind
        FROM search_index si, unnest(string_to_array(si.name_words || ' ' || si.body, ' ')) w
        WHERE w <> ''`;
      const stored = sql`SELECT word, id, project_id, run_id, kind FROM search_words`;
      const differ = async () =>
        Number(
          (
            await sql<{ n: string }>`SELECT count(*) AS n FROM
              ((${derived} EXCEPT ${stored}) UNION ALL (${stored} EXCEPT ${derived})) d`.execute(db)
          ).rows[0]!.n,
        );
      const count = async () =>
        Number(
          (await sql<{ n: string }>`SELECT count(*) AS n FROM search_words`.execute(db)).rows[0]!.n,
        );
      // Each plain word's row holds the ts_rank the GIN statement computes for that word alone.
      const misranked = async () =>
        Number(
          (
            await sql<{ n: string }>`SELECT count(*) AS n FROM search_words w
              JOIN search_index si ON si.id = w.id
              WHERE w.word ~ '^([a-z][a-z0-9]*|[0-9]+)$' AND w.rank IS DISTINCT FROM
                ts_rank(si.tsv, to_tsquery('simple'::regconfig, '''' || w.word || ''''))`.execute(
              db,
            )
          ).rows[0]!.n,
        );
      expect(await count()).toBeGreaterThan(20);
      expect(await differ()).toBe(0);
      expect(await misranked()).toBe(0);
      // Insert, update (new words replace old ones), delete.
      const s = sdkResponse(
        await alice.post(`projects/${ids.other}/samples`, {
          Name: 'wordcheck',
          Description: 'a b',
        }),
      );
      await alice.post(`samples/${s.Id}/properties`, {
        Properties: [{ Type: 'string', Name: 'Input.Kit', Content: 'kitone' }],
      });
      await alice.post(`samples/${s.Id}/properties`, {
        Properties: [{ Type: 'string', Name: 'Input.Kit', Content: 'kittwo' }],
      });
      expect(await differ()).toBe(0);
      expect(await misranked()).toBe(0);
      expect(names(await search(alice, { query: 'kitone' }))).toEqual([]);
      expect(names(await search(alice, { query: 'kittwo' }))).toEqual(['wordcheck']);
      const before = await count();
      const del = await fetch(`${hub.url}/v1pre3/samples/${s.Id}/properties/Input.Kit`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${alice.token}` },
      });
      expect(del.status).toBe(200);
      expect(await differ()).toBe(0);
      expect(await count()).toBe(before - 1);
      expect((await search(alice, { query: 'kittwo' })).TotalCount).toBe(0);
      // A row leaving the index (its resource is gone) takes its words along.
      await sql`DELETE FROM search_index WHERE kind = 'sample' AND resource_id = ${s.Id}`.execute(
        db,
      );
      expect(await differ()).toBe(0);
      expect((await search(alice, { query: 'wordcheck' })).TotalCount).toBe(0);
    },
  );

  it('two users: each sees only their own hits, counts included', async () => {
    const r = await search(bob, { query: 'NA12878' });
    expect(r.TotalCount).toBe(2);
    expect(r.Items.map((i: any) => i.Type).sort()).toEqual(['Project', 'Sample']);
    for (const q of ['platinum', 'truseq', 'calls', 'Exome', 'RUN', 'germline'])
      expect((await search(bob, { query: q })).TotalCount, q).toBe(0);
  });

  it('token scopes filter hits: project-scoped and sample-scoped tokens', async () => {
    const projectOnly = new PythonSdkClient(
      hub.url,
      await hub.tokenFor(aliceUser, `browse project ${ids.other}`),
    );
    expect((await search(projectOnly, { query: 'NA12878' })).TotalCount).toBe(0);
    expect(names(await search(projectOnly, { query: 'demo*' }))).toEqual(['demo-sample']);
    const oneSample = new PythonSdkClient(
      hub.url,
      await hub.tokenFor(aliceUser, `read sample ${ids.HG002}`),
    );
    expect(names(await search(oneSample, { query: 'ashkenazi' }))).toEqual(['HG002']);
    expect((await search(oneSample, { query: 'NA12878' })).TotalCount).toBe(0);
    const none = new PythonSdkClient(hub.url, await hub.tokenFor(aliceUser, 'create projects'));
    expect((await search(none, { query: 'NA12878' })).TotalCount).toBe(0);
  });

  it('scope=, name: fields, prefixes, paging and sorting', async () => {
    const samples = await search(alice, { query: 'NA12878', scope: 'samples' });
    expect(names(samples)).toEqual(['NA12878', 'NA12878-rerun']);
    const runsAndResults = await search(alice, { query: 'NA12878', scope: 'runs, AppResults' });
    expect(runsAndResults.Items.map((i: any) => i.Type).sort()).toEqual(['AppResult', 'Run']);
    expect(names(await search(alice, { query: 'project.name:BaseSpaceDemo' }))).toEqual([
      'BaseSpaceDemo',
    ]);
    // name: restricts to names: the AppResult mentions NA12878 only in its description.
    const byName = await search(alice, { query: 'name:NA12878', scope: 'samples,appresults' });
    expect(names(byName)).toEqual(['NA12878', 'NA12878-rerun']);
    expect(names(await search(alice, { query: 'ashk*' }))).toEqual(['HG002']);

    const p1 = await search(alice, { query: 'NA12878', Limit: 2, SortBy: 'Name', SortDir: 'Asc' });
    const p2 = await search(alice, { query: 'NA12878', Limit: 2, Offset: 2, SortBy: 'Name' });
    expect(p1).toMatchObject({ TotalCount: 4, DisplayedCount: 2, SortBy: 'Name', SortDir: 'Asc' });
    expect([...names(p1), ...names(p2)]).toEqual([
      'NA12878',
      'NA12878-rerun',
      'RUN-NA12878-01',
      'Variant calls',
    ]);
    const countOnly = await search(alice, { query: 'NA12878', Limit: 0 });
    expect(countOnly).toMatchObject({ TotalCount: 4, DisplayedCount: 0, Items: [] });
    const past = await search(alice, { query: 'NA12878', Offset: 100 });
    expect(past).toMatchObject({ TotalCount: 4, Items: [] });
    const lower = await alice.get('search', { Query: 'hg002', Scope: 'samples' });
    expect(names(sdkResponse(lower))).toEqual(['HG002']);
  });

  it('malformed queries are 400 BadRequest, never 5xx', async () => {
    const bad = [
      '',
      '   ',
      '"unbalanced',
      'a"b',
      'foo OR bar',
      'NOT foo',
      'owner:bob',
      '***',
      '"',
      'name:"',
      '\u0001',
      'x'.repeat(2000),
      Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
    ];
    for (const query of bad) {
      const reply = await alice.get('search', { query });
      expect(reply.status, query.slice(0, 30)).toBe(400);
      expect(reply.body.ResponseStatus.ErrorCode).toBe('BadRequest');
    }
    expect((await alice.get('search', {})).status).toBe(400);
    expect((await alice.get('search', { query: 'x', scope: 'genomes' })).status).toBe(400);
    expect((await alice.get('search', { query: 'x', SortBy: 'Bogus' })).status).toBe(400);
    // FTS5 / tsquery syntax in user input is only ever words.
    for (const query of [
      'a:b',
      'NEAR(a b)',
      "'x' & y",
      'a -b',
      '(x)',
      'a AND',
      'x^2 {y}',
      '\\',
      'é*',
      '—',
    ]) {
      const reply = await alice.get('search', { query });
      expect([200, 400], query).toContain(reply.status);
    }
  });
});

/** More matches than a search considers (SEARCH_MAX_HITS = 1,000; docs/api-choices.md "Search"). */
describe.each(backends())('search past 1,000 hits on $kind', (backend) => {
  let hub: TestHub;
  let alice: PythonSdkClient;
  const MORE = 1003;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    alice = new PythonSdkClient(hub.url, (await hub.newUser({ name: 'Bulk' })).token);
    const project = sdkResponse(await alice.post('projects/', { Name: 'Bulk' }));
    const names = Array.from({ length: MORE }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 16)
      await Promise.all(
        names.slice(i, i + 16).map(async (name) => {
          const reply = await alice.post(`projects/${project.Id}/samples`, {
            Name: name,
            Description: 'common word',
          });
          expect(reply.status).toBe(200);
        }),
      );
    // Written last, so it is not among the first 1,000 matches in index order.
    await alice.post(`projects/${project.Id}/samples`, { Name: 'Common', Description: 'x' });
  }, 120_000);
  afterAll(() => hub?.close());

  const search = async (query: Record<string, string | number>) => {
    const reply = await alice.get('search', query);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return sdkResponse(reply);
  };

  it('TotalCount stops at 1,000; the exact name still comes first', async () => {
    const r = await search({ query: 'common' });
    expect(r).toMatchObject({ TotalCount: 1000, DisplayedCount: 10 });
    expect(r.Items[0]).toMatchObject({ Type: 'Sample', Sample: { Name: 'Common' } });
    expect(r.Items[0].Score).toBeGreaterThanOrEqual(1000);
    // Past SEARCH_RANKED_MAX hits there is no relevance: Score is 1000 (exact name) or 0, and
    // the rest go by index order (newest first on SQLite).
    expect(r.Items.slice(1).map((i: any) => i.Score)).toEqual(Array(9).fill(0));
    // Paging ends with the 1,000th hit.
    const tail = await search({ query: 'common', Offset: 995, Limit: 10 });
    expect(tail).toMatchObject({ TotalCount: 1000, DisplayedCount: 5 });
    expect(await search({ query: 'common', Offset: 1000 })).toMatchObject({ Items: [] });
    // Under the cap every match counts: a narrower query is exact again.
    expect((await search({ query: 'bulk-0007' })).TotalCount).toBe(1);
    expect((await search({ query: 'bulk' })).TotalCount).toBe(1000);
  });

  it('every page of one order is sorted, without repeats, within the 1,000', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 1000; offset += 250) {
      const page = await search({ query: 'common', SortBy: 'Name', Offset: offset, Limit: 250 });
      expect(page.DisplayedCount).toBe(250);
      seen.push(...page.Items.map((i: any) => i.Sample.Name.toLowerCase()));
    }
    expect(new Set(seen).size).toBe(1000);
    expect(seen).toEqual([...seen].sort());
    expect(seen[0]).toMatch(/^bulk-\d{4}$/); // which 999 of the 1,003: index order, per database
    expect(seen).toContain('common');
    const desc = await search({ query: 'common', SortBy: 'DateCreated', SortDir: 'Desc' });
    expect(desc.Items[0].Sample.Name).toBe('Common');
  });

  it('several words past SEARCH_RANKED_MAX common hits: every one counted and paged once', async () => {
    // On PostgreSQL such a query is counted and paged from search_words once GIN has found more
    // than SEARCH_RANKED_MAX matches (ADR 0003); the answer must be the GIN answer.
    const project = sdkResponse(await alice.post('projects/', { Name: 'Pairs' }));
    const add = (Name: string, Description: string) =>
      alice.post(`projects/${project.Id}/samples`, { Name, Description });
    const both = Array.from({ length: 250 }, (_, i) => `pair-${String(i).padStart(3, '0')}`);
    // pair-i also has `two` (i < 200: 200 rows), `three` (i >= 49: 201) and `late` (i < 210).
    const words = (i: number) =>
      ['alpha omega', i < 200 ? 'two' : '', i >= 49 ? 'three' : '', i < 210 ? 'late' : '']
        .filter(Boolean)
        .join(' ');
    for (let i = 0; i < both.length; i += 16)
      await Promise.all(both.slice(i, i + 16).map((name, j) => add(name, words(i + j))));
    for (let i = 0; i < 5; i++) {
      await add(`only-alpha-${i}`, 'alpha');
      await add(`only-omega-${i}`, 'omega');
    }
    await add('Alpha Omega', 'x');
    const alphaThree = sdkResponse(
      await alice.post('projects/', { Name: 'Alpha Three Project', Description: 'three' }),
    );
    // 40 newer rows with `late` alone: neither word's newest rows are common ones.
    for (let i = 0; i < 40; i += 8)
      await Promise.all(
        Array.from({ length: 8 }, (_, j) => add(`late-${String(i + j).padStart(2, '0')}`, 'late')),
      );
    const r = await search({ query: 'alpha omega' });
    expect(r).toMatchObject({ TotalCount: 251, DisplayedCount: 10 });
    expect(r.Items[0]).toMatchObject({ Type: 'Sample', Sample: { Name: 'Alpha Omega' } });
    expect(r.Items[0].Score).toBeGreaterThanOrEqual(1000);
    expect(r.Items.slice(1).map((i: any) => i.Score)).toEqual(Array(9).fill(0));
    for (const sortBy of ['Score', 'Name']) {
      const seen: string[] = [];
      for (let offset = 0; offset < 300; offset += 100) {
        const page = await search({
          query: 'alpha omega',
          SortBy: sortBy,
          Offset: offset,
          Limit: 100,
        });
        expect(page.TotalCount).toBe(251);
        seen.push(...page.Items.map((i: any) => i.Sample.Name));
      }
      expect([...seen].sort(), sortBy).toEqual([...both, 'Alpha Omega'].sort());
      if (sortBy === 'Name')
        expect(seen).toEqual(
          [...seen].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
        );
    }
    expect((await search({ query: 'omega ALPHA alpha' })).TotalCount).toBe(251);
    expect((await search({ query: 'alpha omega', scope: 'projects' })).TotalCount).toBe(0);
    expect((await search({ query: 'alpha omega common' })).TotalCount).toBe(0);
    expect((await search({ query: 'alpha pair' })).TotalCount).toBe(250);
    expect((await search({ query: 'alpha omega', scope: 'samples' })).TotalCount).toBe(251);
    // Around SEARCH_RANKED_MAX (PostgreSQL: search_words' probe of the common rows decides
    // whether GIN runs, ADR 0003 addendum 3): 200 hits are ranked, 201 are not.
    // Ranked as GIN ranks: ts_rank of the whole query (the word table holds one word's rank).
    const ginScores = async (query: string, items: any[]) => {
      if (backend.kind !== 'postgres') return items.map((i: any) => i.Score);
      const { rows } = await sql<{ kind: string; resource_id: string; rank: number }>`
        SELECT kind, resource_id, ts_rank(tsv, to_tsquery('simple'::regconfig, ${query})) AS rank
        FROM search_index`.execute(hub.server.hub.db.db);
      const rank = new Map(rows.map((r) => [`${r.kind}:${r.resource_id}`, Number(r.rank)]));
      return items.map((i: any) => {
        const id = (i.Sample ?? i.Project).Id;
        return Math.round(rank.get(`${i.Type.toLowerCase()}:${id}`)! * 1e6) / 1e6;
      });
    };
    const ranked = await search({ query: 'two alpha', Limit: 200 });
    expect(ranked).toMatchObject({ TotalCount: 200, DisplayedCount: 200 });
    expect(ranked.Items.every((i: any) => i.Score > 0 && i.Score < 1000)).toBe(true);
    expect(ranked.Items.map((i: any) => i.Score)).toEqual(
      await ginScores("'two' & 'alpha'", ranked.Items),
    );
    expect(ranked.Items.map((i: any) => i.Sample.Name).sort()).toEqual(both.slice(0, 200));
    // One visible hit in scope of 202 common rows: ranked too.
    const inScope = await search({ query: 'three alpha', scope: 'projects' });
    expect(inScope).toMatchObject({ TotalCount: 1, Items: [{ Project: { Id: alphaThree.Id } }] });
    expect(inScope.Items[0].Score).toBeGreaterThan(0);
    expect([inScope.Items[0].Score]).toEqual(await ginScores("'three' & 'alpha'", inScope.Items));
    const unranked = await search({ query: 'three alpha', scope: 'samples', Limit: 201 });
    expect(unranked).toMatchObject({ TotalCount: 201, DisplayedCount: 201 });
    expect(unranked.Items.every((i: any) => i.Score === 0)).toBe(true);
    expect(unranked.Items.map((i: any) => i.Sample.Name).sort()).toEqual(both.slice(49));
    // More than SEARCH_RANKED_MAX common rows, but none among either word's newest rows.
    const late = await search({ query: 'late alpha', Limit: 1000 });
    expect(late).toMatchObject({ TotalCount: 210, DisplayedCount: 210 });
    expect(late.Items.map((i: any) => i.Sample.Name).sort()).toEqual(both.slice(0, 210));
    expect((await search({ query: 'late omega', scope: 'projects' })).TotalCount).toBe(0);
    const stranger = new PythonSdkClient(hub.url, (await hub.newUser({ name: 'Stranger' })).token);
    expect(sdkResponse(await stranger.get('search', { query: 'alpha omega' })).TotalCount).toBe(0);
    // Their one common row among Alice's 202 is ranked, as GIN ranks it.
    const theirs = sdkResponse(await stranger.post('projects/', { Name: 'Theirs' }));
    await stranger.post(`projects/${theirs.Id}/samples`, {
      Name: 'theirs',
      Description: 'three alpha',
    });
    const own = sdkResponse(await stranger.get('search', { query: 'three alpha' }));
    expect(own).toMatchObject({ TotalCount: 1, Items: [{ Sample: { Name: 'theirs' } }] });
    expect([own.Items[0].Score]).toEqual(await ginScores("'three' & 'alpha'", own.Items));
  }, 120_000);

  it('phrases and name: terms: every match, exact names first, ranked as GIN ranks', async () => {
    // On PostgreSQL a phrase or `name:` query of plain words is answered from its rarest word's
    // rows when that word has at most 100 (PHRASE_DRIVER_MAX), else by the GIN statement
    // (ADR 0003, addendum 4): both must give GIN's matches, counts and scores.
    const project = sdkResponse(await alice.post('projects/', { Name: 'Phrases' }));
    const made = Array.from({ length: 101 }, (_, i) => `ph-${String(i).padStart(3, '0')}`);
    // ph-i: `kappa lambda [hundred] hundredone`; `hundred` is on 100 rows (99 of these and the
    // name below), at PHRASE_DRIVER_MAX; `kappa`, `lambda` and `hundredone` on more.
    for (let i = 0; i < made.length; i += 16)
      await Promise.all(
        made.slice(i, i + 16).map((Name, j) =>
          alice.post(`projects/${project.Id}/samples`, {
            Name,
            Description: `kappa lambda ${i + j < 99 ? 'hundred ' : ''}hundredone`,
          }),
        ),
      );
    await alice.post(`projects/${project.Id}/samples`, {
      Name: 'Lambda Hundred',
      Description: 'x',
    });
    const stranger = new PythonSdkClient(hub.url, (await hub.newUser({ name: 'Other' })).token);
    const theirs = sdkResponse(await stranger.post('projects/', { Name: 'Theirs' }));
    await stranger.post(`projects/${theirs.Id}/samples`, {
      Name: 'ph-007',
      Description: 'kappa lambda',
    });
    // GIN's answer, straight from search_index: the caller's own rows (no shares here).
    const gin = async (client: PythonSdkClient, tsquery: string, exactName: string) => {
      const me = sdkResponse(await client.get('users/current')).Id as string;
      const { rows } = await sql<{
        kind: string;
        resource_id: string;
        name_lc: string;
        rank: number;
      }>`
        SELECT kind, resource_id, name_lc, ts_rank(tsv, to_tsquery('simple'::regconfig, ${tsquery})) AS rank
        FROM search_index WHERE owner_id = ${me}
          AND tsv @@ to_tsquery('simple'::regconfig, ${tsquery})`.execute(hub.server.hub.db.db);
      const ranked = rows.length <= 200;
      return rows
        .map((r) => ({
          hit: `${r.kind}:${r.resource_id}`,
          score:
            (r.name_lc === exactName ? 1000 : 0) +
            (ranked ? Math.round(Number(r.rank) * 1e6) / 1e6 : 0),
        }))
        .sort((a, b) => (a.hit < b.hit ? -1 : 1));
    };
    const cases: [string, string, string, number][] = [
      // query, tsquery, exact name, TotalCount
      ['"lambda hundred"', "'lambda' <-> 'hundred'", 'lambda hundred', 100], // driver: 100 rows
      ['Lambda-Hundred', "'lambda' <-> 'hundred'", 'lambda-hundred', 100],
      ['"hundred hundredone"', "'hundred' <-> 'hundredone'", 'hundred hundredone', 99],
      ['"lambda hundredone"', "'lambda' <-> 'hundredone'", 'lambda hundredone', 2], // GIN
      ['"kappa lambda"', "'kappa' <-> 'lambda'", 'kappa lambda', 101], // GIN
      ['"hundredone hundred"', "'hundredone' <-> 'hundred'", 'hundredone hundred', 0],
      ['name:"ph-007"', "'ph':A <-> '007':A", 'ph-007', 1],
      ['name:ph-007 kappa', "('ph':A <-> '007':A) & 'kappa'", 'ph-007 kappa', 1],
      ['name:hundred', "'hundred':A", 'hundred', 1],
      ['name:"lambda hundred" hundredone', "('lambda':A <-> 'hundred':A) & 'hundredone'", '', 0],
      ['ph-007 hundredone', "('ph' <-> '007') & 'hundredone'", 'ph-007 hundredone', 1],
    ];
    for (const [query, tsquery, exactName, total] of cases)
      for (const scope of ['', 'samples', 'projects'])
        for (const sortBy of ['Score', 'Name']) {
          const r = await search({ query, scope, SortBy: sortBy, Limit: 200 });
          const expected = scope === 'projects' ? 0 : total;
          expect(r.TotalCount, `${query} in '${scope}'`).toBe(expected);
          expect(r.DisplayedCount, query).toBe(Math.min(expected, 200));
          if (sortBy === 'Score' && expected > 0) {
            const exact = r.Items.filter((i: any) => i.Score >= 1000).length;
            expect(
              r.Items.slice(0, exact).every((i: any) => i.Score >= 1000),
              query,
            ).toBe(true);
            const scores = r.Items.map((i: any) => i.Score);
            expect(scores, query).toEqual([...scores].sort((a, b) => b - a));
          }
          if (backend.kind === 'postgres' && scope !== 'projects') {
            const got = r.Items.map((i: any) => ({
              hit: `sample:${i.Sample.Id}`,
              score: i.Score,
            })).sort((a: any, b: any) => (a.hit < b.hit ? -1 : 1));
            expect(got, `${query} in '${scope}'`).toEqual(await gin(alice, tsquery, exactName));
          }
        }
    const exact = await search({ query: '"Lambda Hundred"' });
    expect(exact.Items[0]).toMatchObject({ Sample: { Name: 'Lambda Hundred' } });
    expect(exact.Items[0].Score).toBeGreaterThanOrEqual(1000);
    // Another user's look-alike is theirs alone.
    const mine = sdkResponse(await stranger.get('search', { query: 'name:"ph-007"' }));
    expect(mine).toMatchObject({ TotalCount: 1, Items: [{ Sample: { Name: 'ph-007' } }] });
    expect(mine.Items[0].Sample.Id).not.toBe(
      (await search({ query: 'name:"ph-007"' })).Items[0].Sample.Id,
    );
    const page = await search({ query: '"lambda hundred"', Offset: 95, Limit: 10 });
    expect(page).toMatchObject({ TotalCount: 100, DisplayedCount: 5 });
  }, 120_000);
});
