import { describe, expect, it } from 'vitest';
import { ConfigError, describeDb, loadConfig } from './config.js';

describe('config', () => {
  it('defaults to 127.0.0.1:3000 and ./seqhub-data with SQLite', () => {
    const c = loadConfig({ env: {}, cwd: '/srv' });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      dataDir: '/srv/seqhub-data',
      db: { kind: 'sqlite', path: '/srv/seqhub-data/seqhub.db' },
    });
  });
  it('flags win over env, env over defaults', () => {
    const c = loadConfig({
      env: { SEQHUB_HOST: '0.0.0.0', SEQHUB_PORT: '8080', SEQHUB_DATA_DIR: '/data' },
      flags: { port: '9090' },
      cwd: '/',
    });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9090, dataDir: '/data' });
  });
  it('DATABASE_URL selects PostgreSQL and is shown without its password', () => {
    const c = loadConfig({ env: { DATABASE_URL: 'postgres://u:secret@db:5432/hub' }, cwd: '/' });
    expect(c.db).toEqual({ kind: 'postgres', url: 'postgres://u:secret@db:5432/hub' });
    expect(describeDb(c)).toBe('PostgreSQL at postgres://u:***@db:5432/hub');
  });
  it('jobs: embedded queue, 60 s lease, workers in serve unless SEQHUB_WORKERS=0', () => {
    expect(loadConfig({ env: {}, cwd: '/' }).queue).toEqual({
      kind: 'embedded',
      leaseSeconds: 60,
      workers: true,
      concurrency: 1,
    });
    expect(
      loadConfig({ env: { SEQHUB_JOB_LEASE_SECONDS: '5', SEQHUB_WORKERS: '0' }, cwd: '/' }).queue,
    ).toEqual({ kind: 'embedded', leaseSeconds: 5, workers: false, concurrency: 1 });
  });
  it('app isolation: auto by default, bwrap or process when asked', () => {
    expect(loadConfig({ env: {}, cwd: '/' }).apps.isolation).toBe('auto');
    expect(loadConfig({ env: { SEQHUB_APP_ISOLATION: ' BWRAP ' }, cwd: '/' }).apps.isolation).toBe(
      'bwrap',
    );
    expect(loadConfig({ env: { SEQHUB_APP_ISOLATION: 'process' }, cwd: '/' }).apps.isolation).toBe(
      'process',
    );
  });
  it('jobs: pg-boss by default on PostgreSQL, SEQHUB_QUEUE overrides; flags win', () => {
    const pg = { DATABASE_URL: 'postgres://u:p@db/hub' };
    expect(loadConfig({ env: pg, cwd: '/' }).queue.kind).toBe('pgboss');
    expect(loadConfig({ env: { ...pg, SEQHUB_QUEUE: 'embedded' }, cwd: '/' }).queue.kind).toBe(
      'embedded',
    );
    expect(
      loadConfig({
        env: { ...pg, SEQHUB_WORKERS: '1', SEQHUB_JOB_CONCURRENCY: '3' },
        flags: { workers: false, concurrency: '2' },
        cwd: '/',
      }).queue,
    ).toMatchObject({ kind: 'pgboss', workers: false, concurrency: 2 });
  });
  it.each([
    [{ SEQHUB_PORT: '3000x' }, /invalid port/],
    [{ SEQHUB_HOST: 'a b' }, /invalid host/],
    [{ DATABASE_URL: 'sqlite:///x' }, /only postgres/],
    [{ SEQHUB_PUBLIC_URL: 'hub.example.org' }, /SEQHUB_PUBLIC_URL/],
    [{ SEQHUB_DATA_DIR: ' ' }, /data dir/],
    [{ SEQHUB_JOB_LEASE_SECONDS: '0' }, /SEQHUB_JOB_LEASE_SECONDS/],
    [{ SEQHUB_QUEUE: 'redis' }, /invalid SEQHUB_QUEUE/],
    [{ SEQHUB_QUEUE: 'pgboss' }, /needs a PostgreSQL/],
    [{ SEQHUB_JOB_CONCURRENCY: '0' }, /SEQHUB_JOB_CONCURRENCY/],
    [
      { SEQHUB_APP_ISOLATION: 'docker' },
      /invalid SEQHUB_APP_ISOLATION 'docker': auto, bwrap or process/,
    ],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig({ env, cwd: '/' })).toThrow(ConfigError);
    expect(() => loadConfig({ env, cwd: '/' })).toThrow(message);
  });
  it('operability: metrics token and trusted proxies, validated', () => {
    const c = loadConfig({
      env: { SEQHUB_METRICS_TOKEN: 'a'.repeat(16), SEQHUB_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' },
      cwd: '/',
    });
    expect(c.metricsToken).toBe('a'.repeat(16));
    expect(c.trustProxy).toBe('127.0.0.1, 10.0.0.0/8');
    expect(loadConfig({ env: {}, cwd: '/' })).toMatchObject({
      metricsToken: undefined,
      trustProxy: undefined,
    });
    expect(() => loadConfig({ env: { SEQHUB_METRICS_TOKEN: 'short' }, cwd: '/' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ env: { SEQHUB_TRUST_PROXY: 'everyone' }, cwd: '/' })).toThrow(
      /SEQHUB_TRUST_PROXY/,
    );
  });
});
