import {
  kyselyRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../adapters/db/index.js';
import type { Config } from '../config/index.js';
import { isoNow } from '../domain/index.js';
import type { Clock, Repositories } from '../ports.js';
import { createServices, type Services } from '../services/index.js';

/** A hub's wired parts: what serve, admin commands and tests share. */
export interface Hub {
  config: Config;
  services: Services;
  repos: Repositories;
  db: DbHandle;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

/** Opens the database named by the config, migrates it, and wires the services over it. */
export async function openHub(config: Config, clock: Clock = systemClock): Promise<Hub> {
  const db = openDatabase(config.db);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const repos = kyselyRepositories(db.db, db.kind, () => isoNow(clock.now()));
  return { config, services: createServices(repos, clock), repos, db, close: () => db.close() };
}
