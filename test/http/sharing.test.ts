import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** Sharing, share links and the audit log over HTTP (issue 4; docs/api-choices.md "Sharing"). */
describe.each(backends())('sharing on $kind', (backend) => {
  let hub: TestHub;
  let owner: { user: { id: string; email: string }; token: string };
  let alice: { user: { id: string; email: string }; token: string };
  let bob: { user: { id: string; email: string }; token: string };
  let projectId: string;
  let fileId: string;

  const call = async (
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${hub.url}/v1pre3/${path}`, {
      method,
      headers: {
        ...(token ? { 'x-access-token': token } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  beforeAll(async () => {
    hub = await startTestHub(backend);
    owner = await hub.newUser({ name: 'Owner' });
    alice = await hub.newUser({ name: 'Alice' });
    bob = await hub.newUser({ name: 'Bob' });
    projectId = (await call(owner.token, 'POST', 'projects', { Name: 'Shared' })).json.Response.Id;
    await call(owner.token, 'POST', 'projects', { Name: 'Private' });
    await call(alice.token, 'POST', 'projects', { Name: 'Alice own' });
    const result = (
      await call(owner.token, 'POST', `projects/${projectId}/appresults`, { Name: 'R' })
    ).json.Response;
    const upload = await fetch(`${hub.url}/v1pre3/appresults/${result.Id}/files?name=a.txt`, {
      method: 'POST',
      headers: { 'x-access-token': owner.token },
      body: 'shared bytes',
    });
    fileId = ((await upload.json()) as any).Response.Id;
  });
  afterAll(() => hub?.close());

  it('invite by email at READ, change to WRITE by id, revoke: access follows each step', async () => {
    expect((await call(alice.token, 'GET', `projects/${projectId}`)).status).toBe(404);
    const invited = await call(owner.token, 'POST', `projects/${projectId}/collaborators`, {
      Email: alice.user.email.toUpperCase(),
      Access: 'read',
    });
    expect(invited.status).toBe(200);
    expect(invited.json.Response).toMatchObject({
      Id: alice.user.id,
      Access: 'Read',
      User: { Id: alice.user.id, Email: alice.user.email },
      Href: `v1pre3/projects/${projectId}/collaborators/${alice.user.id}`,
    });
    const seen = await call(alice.token, 'GET', `projects/${projectId}`);
    expect(seen.status).toBe(200);
    expect(seen.json.Response.HasCollaborators).toBe(true);
    expect(
      (await call(alice.token, 'POST', `projects/${projectId}/samples`, { Name: 'S' })).status,
    ).toBe(403);

    const changed = await call(
      owner.token,
      'POST',
      `projects/${projectId}/collaborators/${alice.user.id}`,
      { Access: 'Write' },
    );
    expect(changed.json.Response.Access).toBe('Write');
    const sample = await call(alice.token, 'POST', `projects/${projectId}/samples`, {
      Name: 'By Alice',
    });
    expect(sample.status).toBe(200);
    // The owner sees what the collaborator created in their project.
    expect((await call(owner.token, 'GET', `samples/${sample.json.Response.Id}`)).status).toBe(200);
    // A collaborator never manages sharing.
    expect(
      (
        await call(alice.token, 'POST', `projects/${projectId}/collaborators`, {
          UserId: bob.user.id,
          Access: 'Read',
        })
      ).status,
    ).toBe(403);

    const list = await call(owner.token, 'GET', `projects/${projectId}/collaborators`);
    expect(list.json.Response.TotalCount).toBe(1);
    expect(
      (await call(owner.token, 'DELETE', `projects/${projectId}/collaborators/${alice.user.id}`))
        .status,
    ).toBe(200);
    expect((await call(alice.token, 'GET', `projects/${projectId}`)).status).toBe(404);
    expect((await call(alice.token, 'GET', `samples/${sample.json.Response.Id}`)).status).toBe(404);
    const after = await call(owner.token, 'GET', `users/current/projects?Name=Shared`);
    expect(after.json.Response.Items[0].HasCollaborators).toBe(false);
    expect(
      (await call(owner.token, 'DELETE', `projects/${projectId}/collaborators/${alice.user.id}`))
        .status,
    ).toBe(404);
  });

  it('bad sharing requests are 4xx in the envelope', async () => {
    const base = `projects/${projectId}/collaborators`;
    const cases: [unknown, number][] = [
      [{ UserId: bob.user.id, Email: bob.user.email, Access: 'Read' }, 400],
      [{ Access: 'Read' }, 400],
      [{ UserId: bob.user.id, Access: 'Admin' }, 400],
      [{ UserId: bob.user.id }, 400],
      [{ Email: 'nobody@nowhere.example', Access: 'Read' }, 404],
      [{ UserId: '999999', Access: 'Read' }, 404],
      [{ UserId: owner.user.id, Access: 'Read' }, 400],
      [{ Email: 'not an email', Access: 'Read' }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await call(owner.token, 'POST', base, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json.ResponseStatus.ErrorCode).toBeTypeOf('string');
    }
    expect(
      (await call(owner.token, 'POST', `${base}/${bob.user.id}`, { Access: 'Read' })).status,
    ).toBe(404);
    expect((await call(owner.token, 'DELETE', `projects/${projectId}/links/424242`)).status).toBe(
      404,
    );
  });

  it("a user's lists include what is shared with them, with TotalCount and an Ownership filter", async () => {
    await call(owner.token, 'POST', `projects/${projectId}/collaborators`, {
      UserId: bob.user.id,
      Access: 'Read',
    });
    const names = async (token: string, query = '') => {
      const res = await call(token, 'GET', `users/current/projects?Limit=1024${query}`);
      return {
        names: res.json.Response.Items.map((p: { Name: string }) => p.Name).sort(),
        total: res.json.Response.TotalCount,
      };
    };
    expect(await names(bob.token)).toEqual({ names: ['Shared'], total: 1 });
    expect(await names(bob.token, '&Ownership=owned')).toEqual({ names: [], total: 0 });
    expect(await names(bob.token, '&ownership=SHARED')).toEqual({ names: ['Shared'], total: 1 });
    expect(await names(owner.token)).toEqual({ names: ['Private', 'Shared'], total: 2 });
    expect(await names(owner.token, '&Ownership=Shared')).toEqual({ names: [], total: 0 });
    expect(await names(alice.token)).toEqual({ names: ['Alice own'], total: 1 });
    // Page through a mixed list: TotalCount counts both kinds, pages do not overlap.
    await call(owner.token, 'POST', `projects/${projectId}/collaborators`, {
      UserId: alice.user.id,
      Access: 'Read',
    });
    const first = await call(alice.token, 'GET', 'users/current/projects?Limit=1&SortBy=Name');
    const second = await call(
      alice.token,
      'GET',
      'users/current/projects?Limit=1&Offset=1&SortBy=Name',
    );
    expect(first.json.Response.TotalCount).toBe(2);
    expect([first.json.Response.Items[0].Name, second.json.Response.Items[0].Name]).toEqual([
      'Alice own',
      'Shared',
    ]);
    expect((await call(bob.token, 'GET', 'users/current/projects?Ownership=mine')).status).toBe(
      400,
    );
    // Search follows sharing too.
    const found = await call(
      bob.token,
      'GET',
      'search?query=shared&scope=projects,appresult_files',
    );
    expect(found.json.Response.TotalCount).toBe(1);
    await call(owner.token, 'DELETE', `projects/${projectId}/collaborators/${alice.user.id}`);
  });

  it('a token does no more than both its scope and its user allow', async () => {
    const readScoped = await hub.tokenFor(bob.user as never, `read project ${projectId}`);
    expect((await call(readScoped, 'GET', `projects/${projectId}`)).status).toBe(200);
    expect((await call(readScoped, 'GET', `files/${fileId}/content`)).status).toBe(200);
    const writeScoped = await hub.tokenFor(bob.user as never, `write project ${projectId}`);
    // The scope says write, the share says READ: no.
    expect(
      (await call(writeScoped, 'POST', `projects/${projectId}/samples`, { Name: 'X' })).status,
    ).toBe(403);
    const browseScoped = await hub.tokenFor(bob.user as never, `browse project ${projectId}`);
    expect((await call(browseScoped, 'GET', `files/${fileId}/content`)).status).toBe(403);
    // A scope naming a project the user may not see grants nothing.
    const strangerScoped = await hub.tokenFor(alice.user as never, `read project ${projectId}`);
    expect((await call(strangerScoped, 'GET', `projects/${projectId}`)).status).toBe(404);
    expect((await call(strangerScoped, 'GET', `files/${fileId}/content`)).status).toBe(404);
  });

  it('signed download URLs are handed only to those who may read the file', async () => {
    const meta = async (token: string) =>
      call(token, 'GET', `files/${fileId}/content?redirect=meta`);
    expect((await meta(alice.token)).status).toBe(404);
    const scoped = await hub.tokenFor(bob.user as never, 'browse global');
    expect((await meta(scoped)).status).toBe(403);
    const ok = await meta(bob.token);
    expect(ok.status).toBe(200);
    const bytes = await fetch(ok.json.Response.HrefContent);
    expect(await bytes.text()).toBe('shared bytes');
    const redirect = await call(bob.token, 'GET', `files/${fileId}/content?redirect=true`);
    expect(redirect.status).toBe(302);
  });

  it('share links read their project and nothing else, by any token position, until deactivated', async () => {
    const created = await call(owner.token, 'POST', `projects/${projectId}/links`, {
      Label: 'for the reviewers',
    });
    expect(created.status).toBe(200);
    const link = created.json.Response;
    expect(link).toMatchObject({ Access: 'Read', IsActive: true, Label: 'for the reviewers' });
    expect(link.Token).toMatch(/^[0-9a-f]{40}$/);
    const listed = await call(owner.token, 'GET', `projects/${projectId}/links`);
    expect(listed.json.Response.Items[0].Token).toBeUndefined();
    expect(listed.text).not.toContain(link.Token);

    const ways: [string, Record<string, string>][] = [
      [`projects/${projectId}`, { 'x-access-token': link.Token }],
      [`projects/${projectId}`, { authorization: `Bearer ${link.Token}` }],
      [`projects/${projectId}?access_token=${link.Token}`, {}],
      [`projects/${projectId}?link=${link.Token}`, {}],
    ];
    for (const [path, headers] of ways) {
      expect((await call(undefined, 'GET', path, undefined, headers)).status).toBe(200);
    }
    const t = link.Token as string;
    expect((await call(t, 'GET', `files/${fileId}/content`)).text).toBe('shared bytes');
    expect(
      (await call(t, 'GET', `projects/${projectId}/appresults`)).json.Response.TotalCount,
    ).toBe(1);
    const otherProject = (await call(owner.token, 'GET', 'users/current/projects?Name=Private'))
      .json.Response.Items[0].Id;
    expect((await call(t, 'GET', `projects/${otherProject}`)).status).toBe(404);
    expect((await call(t, 'GET', 'users/current')).status).toBe(403);
    expect((await call(t, 'GET', 'users/current/projects')).status).toBe(403);
    expect((await call(t, 'POST', 'projects', { Name: 'nope' })).status).toBe(403);
    expect((await call(t, 'POST', `projects/${projectId}/samples`, { Name: 'nope' })).status).toBe(
      403,
    );
    expect((await call(t, 'GET', `projects/${projectId}/links`)).status).toBe(403);
    expect((await call(t, 'GET', 'search?query=private')).json.Response.TotalCount).toBe(0);
    expect((await call(owner.token, 'GET', 'search?query=private')).json.Response.TotalCount).toBe(
      1,
    );
    expect((await call(t, 'GET', 'search?query=shared')).json.Response.TotalCount).toBe(1);

    const off = await call(owner.token, 'DELETE', `projects/${projectId}/links/${link.Id}`);
    expect(off.status).toBe(200);
    expect(off.json.Response.IsActive).toBe(false);
    expect((await call(t, 'GET', `projects/${projectId}`)).status).toBe(401);
  });

  it('ownership transfer: the new owner owns it, the former owner keeps WRITE, a name clash is 409', async () => {
    const p = (await call(owner.token, 'POST', 'projects', { Name: 'Handover' })).json.Response.Id;
    const res = await call(owner.token, 'POST', `projects/${p}/owner`, { Email: bob.user.email });
    expect(res.status).toBe(200);
    expect(res.json.Response.UserOwnedBy.Id).toBe(bob.user.id);
    expect(
      (
        await call(owner.token, 'POST', `projects/${p}/collaborators`, {
          UserId: alice.user.id,
          Access: 'Read',
        })
      ).status,
    ).toBe(403);
    const collaborators = await call(bob.token, 'GET', `projects/${p}/collaborators`);
    expect(collaborators.json.Response.Items).toMatchObject([
      { Id: owner.user.id, Access: 'Write' },
    ]);
    // Bob now has 'Handover'; the old owner makes another and tries to hand it over too.
    const q = (await call(owner.token, 'POST', 'projects', { Name: 'Handover' })).json.Response.Id;
    const clash = await call(owner.token, 'POST', `projects/${q}/owner`, { UserId: bob.user.id });
    expect(clash.status).toBe(409);
    expect((await call(bob.token, 'GET', `projects/${q}`)).status).toBe(404);

    const run = await hub.createRun(owner.user as never, { name: 'R1', experimentName: 'R1' });
    const moved = await call(owner.token, 'POST', `runs/${run.id}/owner`, {
      UserId: alice.user.id,
    });
    expect(moved.status).toBe(200);
    const aliceRuns = await call(alice.token, 'GET', 'users/current/runs?Ownership=Owned');
    expect(aliceRuns.json.Response.Items.map((r: { Id: string }) => r.Id)).toEqual([run.id]);
    const ownerRuns = await call(owner.token, 'GET', 'users/current/runs?Ownership=Shared');
    expect(ownerRuns.json.Response.Items.map((r: { Id: string }) => r.Id)).toEqual([run.id]);
  });

  it('the audit log records sharing, links and downloads (who, what, when, from where), newest first, owner only', async () => {
    const p = (await call(owner.token, 'POST', 'projects', { Name: 'Audited' })).json.Response.Id;
    const r = (await call(owner.token, 'POST', `projects/${p}/appresults`, { Name: 'AR' })).json
      .Response.Id;
    const up = await fetch(`${hub.url}/v1pre3/appresults/${r}/files?name=x.txt`, {
      method: 'POST',
      headers: { 'x-access-token': owner.token },
      body: 'x',
    });
    const f = ((await up.json()) as any).Response.Id;
    await call(owner.token, 'POST', `projects/${p}/collaborators`, {
      UserId: alice.user.id,
      Access: 'Read',
    });
    await call(owner.token, 'POST', `projects/${p}/collaborators/${alice.user.id}`, {
      Access: 'Write',
    });
    await call(alice.token, 'GET', `files/${f}/content`);
    const meta = await call(alice.token, 'GET', `files/${f}/content?redirect=meta`);
    await fetch(meta.json.Response.HrefContent);
    const link = (await call(owner.token, 'POST', `projects/${p}/links`, {})).json.Response;
    await call(link.Token, 'GET', `files/${f}/content`);
    await call(owner.token, 'DELETE', `projects/${p}/links/${link.Id}`);
    await call(owner.token, 'DELETE', `projects/${p}/collaborators/${alice.user.id}`);

    const log = await call(owner.token, 'GET', `projects/${p}/auditlog?Limit=100`);
    expect(log.status).toBe(200);
    const items = log.json.Response.Items as any[];
    expect(items.map((e) => e.Action)).toEqual([
      'project.share.remove',
      'project.link.deactivate',
      'file.download',
      'project.link.create',
      'file.download',
      'file.download.url',
      'file.download',
      'project.share.change',
      'project.share.add',
    ]);
    expect(log.json.Response.TotalCount).toBe(9);
    expect(items[0]).toMatchObject({
      Actor: { Kind: 'user', Id: owner.user.id },
      Target: { Kind: 'user', Id: alice.user.id },
      ProjectId: p,
      ClientIp: '127.0.0.1',
      Details: { previousLevel: 'write' },
    });
    expect(items[2]).toMatchObject({
      Actor: { Kind: 'link', Id: link.Id },
      Target: { Kind: 'file', Id: f },
    });
    expect(items[4]).toMatchObject({
      Actor: { Kind: 'signed-url' },
      Target: { Kind: 'file', Id: f },
    });
    expect(items[6]).toMatchObject({ Actor: { Kind: 'user', Id: alice.user.id } });
    expect(items[8].Details).toEqual({ level: 'read' });
    expect(Date.parse(items[8].DateCreated)).toBeLessThanOrEqual(Date.parse(items[0].DateCreated));
    expect(log.text).not.toContain(link.Token);
    const paged = await call(owner.token, 'GET', `projects/${p}/auditlog?Limit=2&Offset=1`);
    expect(paged.json.Response.Items.map((e: any) => e.Action)).toEqual([
      'project.link.deactivate',
      'file.download',
    ]);
    expect((await call(alice.token, 'GET', `projects/${p}/auditlog`)).status).toBe(404);
  });

  it('token creation and revocation are audited, and a revoked token stops at once', async () => {
    const services = hub.server.hub.services;
    const token = await hub.tokenFor(alice.user as never, 'browse global');
    expect((await call(token, 'GET', 'users/current')).status).toBe(200);
    expect(await services.auth.revokeToken({ token })).toBeDefined();
    expect((await call(token, 'GET', 'users/current')).status).toBe(401);
    expect(await services.auth.revokeToken({ token })).toBeUndefined();
    const rows = await hub.server.hub.db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', 'in', ['token.create', 'token.revoke'])
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(rows.map((r) => r.action)).toEqual(['token.revoke', 'token.create']);
    expect(rows[0]!.actor_kind).toBe('system');
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
