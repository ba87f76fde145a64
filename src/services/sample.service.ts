import { validName, validText, type Sample } from '../domain/index.js';
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

/** Sample metadata as the SDK posts it (spec 4.3); the HTTP schema has checked the types. */
export interface NewSampleInput extends NewWorkLinks {
  name: unknown;
  description?: unknown;
  sampleId?: unknown;
  sampleNumber?: number | undefined;
  experimentName?: unknown;
  numReadsRaw?: number | undefined;
  numReadsPF?: number | undefined;
  read1?: number | undefined;
  read2?: number | undefined;
  isPairedEnd?: boolean | undefined;
}

/** A Sample with what its response embeds: its AppSession, references and project. */
export interface SampleView extends Embedded {
  sample: Sample;
}

export class SampleService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /** `POST projects/{id}/samples` (spec 4.3): validated first, then written in one transaction. */
  async create(
    principal: Principal,
    projectId: string,
    input: NewSampleInput,
  ): Promise<SampleView> {
    const name = validName(input.name);
    const sampleId =
      input.sampleId === undefined || input.sampleId === ''
        ? name
        : validName(input.sampleId, 'SampleId');
    const experimentName =
      input.experimentName === undefined
        ? undefined
        : validName(input.experimentName, 'ExperimentName');
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
          'sample',
          await tx.samples.create({
            projectId: project.id,
            ownerId: principal.user.id,
            runId: undefined,
            name,
            description,
            sampleId,
            sampleNumber: input.sampleNumber,
            experimentName,
            numReadsRaw: input.numReadsRaw,
            numReadsPF: input.numReadsPF,
            read1: input.read1,
            read2: input.read2,
            isPairedEnd: input.isPairedEnd,
            ...links,
          }),
        ),
    );
    return this.view(principal, created);
  }

  async get(principal: Principal, id: string): Promise<SampleView> {
    return this.view(principal, await this.access.sample(principal, id, 'browse'));
  }

  private async view(principal: Principal, sample: Sample): Promise<SampleView> {
    return { sample, ...(await loadEmbedded(this.repos, principal, sample)) };
  }
}
