import type { AppSession, Project, ResourceReference } from '../domain/index.js';
import type { Repositories } from '../ports.js';
import { sessionForNewWork } from './appsession.service.js';
import type { Principal } from './principal.js';
import {
  expandReferences,
  resolveGenome,
  resolveReferences,
  type ExpandedReference,
  type ReferenceInput,
} from './references.js';

/** What a full Sample or AppResult response embeds besides itself. */
export interface Embedded {
  session: AppSession;
  references: ExpandedReference[];
  projects: Project[];
}

/** Loads the AppSession, expanded references and project of a Sample or AppResult. */
export async function loadEmbedded(
  repos: Repositories,
  principal: Principal,
  item: { appSessionId: string; references: readonly ResourceReference[]; projectId: string },
): Promise<Embedded> {
  const [session, references, project] = await Promise.all([
    repos.appSessions.findById(item.appSessionId),
    expandReferences(repos, principal, item.references),
    repos.projects.findById(item.projectId),
  ]);
  return { session: session!, references, projects: project ? [project] : [] };
}

/** Search index (issue 5): indexes a new Sample or AppResult in the transaction that wrote it. */
export async function indexed<T extends { id: string }>(
  tx: Repositories,
  kind: 'sample' | 'appresult',
  created: T,
): Promise<T> {
  await tx.search.reindex(kind, created.id);
  return created;
}

/** The links every new Sample or AppResult may carry (spec 4.3, 4.4). */
export interface NewWorkLinks {
  hrefGenome?: unknown;
  hrefAppSession?: string | undefined;
  references?: ReferenceInput[] | undefined;
  appSessionId?: string | undefined;
}

/**
 * Creates a Sample or AppResult in `project`: resolves its genome and references first (so a
 * rejected request writes nothing), then, in one transaction, finds or creates its AppSession and
 * inserts it through `insert`.
 */
export async function createInSession<T>(
  repos: Repositories,
  principal: Principal,
  project: Project,
  name: string,
  links: NewWorkLinks,
  insert: (
    tx: Repositories,
    resolved: {
      appSessionId: string;
      genomeId: string | undefined;
      references: ResourceReference[];
    },
  ) => Promise<T>,
): Promise<T> {
  const genomeId = await resolveGenome(repos, links.hrefGenome);
  const references = await resolveReferences(repos, principal, links.references);
  return repos.transaction(async (tx) => {
    const session = await sessionForNewWork(
      tx,
      principal,
      project,
      { appSessionId: links.appSessionId, hrefAppSession: links.hrefAppSession },
      name,
    );
    return insert(tx, { appSessionId: session.id, genomeId, references });
  });
}
