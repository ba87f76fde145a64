import {
  API_CLIENT_APPLICATION,
  registerApplicationRef,
  type AppManifest,
} from '../domain/index.js';
import { bclConvertManifest } from './bcl-convert/manifest.js';
import { fastqQcManifest } from './fastq-qc/manifest.js';
import { resequencingManifest } from './resequencing/manifest.js';

/** Sessions of clients that write results through the API (spec 4.4): listed, not launchable. */
const apiClientManifest: AppManifest = {
  ...API_CLIENT_APPLICATION,
  slug: 'api-client',
  version: '1.0.0',
  shortDescription:
    'AppSessions created by clients that write Samples and AppResults through the API.',
  longDescription:
    'The hub creates an AppSession of this application when a client creates a Sample or AppResult without naming one (spec 4.4). It cannot be launched.',
  category: 'Native',
  datePublished: '2026-11-29T00:00:00.0000000Z',
  inputs: [],
  outputs: [],
  resources: { timeLimitSeconds: 0, memoryMb: 0, threads: 0 },
  engine: { kind: 'none' },
};

/** Every application of the hub, by id order (ids and slugs are stable: docs/apps.md). */
const applications: AppManifest[] = [
  apiClientManifest,
  bclConvertManifest,
  fastqQcManifest,
  resequencingManifest,
];

export const APPLICATIONS: readonly AppManifest[] = applications;

/**
 * Adds an application to this process's catalog (an in-process extension or a test's app).
 * Its id and slug must be new; every process that launches or runs it must register it.
 */
export function registerApplication(manifest: AppManifest): void {
  if (applications.some((a) => a.id === manifest.id || a.slug === manifest.slug))
    throw new Error(`application ${manifest.id} (${manifest.slug}) is already registered`);
  applications.push(manifest);
  registerApplicationRef(manifest);
}

/** An application by numeric id or slug (case-insensitive), or undefined. */
export function findApplication(idOrSlug: string): AppManifest | undefined {
  const key = idOrSlug.trim().toLowerCase();
  return APPLICATIONS.find((a) => a.id === key || a.slug === key);
}

export { bclConvertManifest, fastqQcManifest, resequencingManifest };
