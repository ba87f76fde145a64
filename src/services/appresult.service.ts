import {
  validName,
  validText,
  type AppSession,
  type Project,
  type AppResult,
} from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import { sessionForNewWork } from './appsession.service.js';
import type { Principal } from './principal.js';
import {
  expandReferences,
  resolveGenome,
  resolveReferences,
  type ExpandedReference,
  type ReferenceInput,
} from './references.js';

export interface NewAppResultInput {
  name: unknown;
  description?: unknown;
  hrefGenome?: unknown;
  hrefAppSession?: string | undefined;
  references?: ReferenceInput[] | undefined;
  appSessionId?: string | undefined;
}

/** A AppResult with what its response embeds: its AppSession, references and project. */
export interface AppResultView {
  appResult: AppResult;
  session: AppSession;
  references: ExpandedReference[];
  projects: Project[];
}

export class AppResultService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /**
   * `POST projects/{id}/appresults` (spec 4.4). Validation happens before anything is written;
   * the implicit AppSession and the result are created in one transaction.
   */
  async create(
    principal: Principal,
    projectId: string,
    input: NewAppResultInput,
  ): Promise<AppResultView> {
    const name = validName(input.name);
    const description = validText(input.description, 'Description');
    const project = await this.access.project(principal, projectId, 'create');
    const genomeId = await resolveGenome(this.repos, input.hrefGenome);
    const references = await resolveReferences(this.repos, principal, input.references);
    const created = await this.repos.transaction(async (repos) => {
      const session = await sessionForNewWork(
        repos,
        principal,
        project,
        { appSessionId: input.appSessionId, hrefAppSession: input.hrefAppSession },
        name,
      );
      return repos.appResults.create({
        projectId: project.id,
        ownerId: principal.user.id,
        appSessionId: session.id,
        name,
        description,
        genomeId,
        references,
      });
    });
    return this.view(principal, created);
  }

  async get(principal: Principal, id: string): Promise<AppResultView> {
    return this.view(principal, await this.access.appResult(principal, id, 'browse'));
  }

  /** Loads what the full AppResult response embeds. */
  async view(principal: Principal, appResult: AppResult): Promise<AppResultView> {
    const [session, references, project] = await Promise.all([
      this.repos.appSessions.findById(appResult.appSessionId),
      expandReferences(this.repos, principal, appResult.references),
      this.repos.projects.findById(appResult.projectId),
    ]);
    return { appResult, session: session!, references, projects: project ? [project] : [] };
  }
}
