import { validName, validText, type AppResult } from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import {
  createInSession,
  indexed,
  loadEmbedded,
  type Embedded,
  type NewWorkLinks,
} from './embedded.js';
import type { Principal } from './principal.js';

export interface NewAppResultInput extends NewWorkLinks {
  name: unknown;
  description?: unknown;
}

/** An AppResult with what its response embeds: its AppSession, references and project. */
export interface AppResultView extends Embedded {
  appResult: AppResult;
}

export class AppResultService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /** `POST projects/{id}/appresults` (spec 4.4): validated first, then written in one transaction. */
  async create(
    principal: Principal,
    projectId: string,
    input: NewAppResultInput,
  ): Promise<AppResultView> {
    const name = validName(input.name);
    const description = validText(input.description, 'Description');
    const project = await this.access.project(principal, projectId, 'create');
    const created = await createInSession(
      this.repos,
      principal,
      project,
      name,
      input,
      async (tx, links) =>
        indexed(
          tx,
          'appresult',
          await tx.appResults.create({
            projectId: project.id,
            ownerId: principal.user.id,
            name,
            description,
            ...links,
          }),
        ),
    );
    return this.view(principal, created);
  }

  async get(principal: Principal, id: string): Promise<AppResultView> {
    return this.view(principal, await this.access.appResult(principal, id, 'browse'));
  }

  private async view(principal: Principal, appResult: AppResult): Promise<AppResultView> {
    return { appResult, ...(await loadEmbedded(this.repos, principal, appResult)) };
  }
}
