import {
  validName,
  validText,
  type AppSession,
  type Project,
  type Sample,
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

/** Sample metadata as the SDK posts it (spec 4.3); the HTTP schema has checked the types. */
export interface NewSampleInput {
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
  hrefGenome?: unknown;
  hrefAppSession?: string | undefined;
  references?: ReferenceInput[] | undefined;
  appSessionId?: string | undefined;
}

/** A Sample with what its response embeds: its AppSession, references and project. */
export interface SampleView {
  sample: Sample;
  session: AppSession;
  references: ExpandedReference[];
  projects: Project[];
}

export class SampleService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /** `POST projects/{id}/samples`: validated first, then session + sample in one transaction. */
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
      return repos.samples.create({
        projectId: project.id,
        ownerId: principal.user.id,
        appSessionId: session.id,
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
        genomeId,
        references,
      });
    });
    return this.view(principal, created);
  }

  async get(principal: Principal, id: string): Promise<SampleView> {
    return this.view(principal, await this.access.sample(principal, id, 'browse'));
  }

  /** Loads what the full Sample response embeds. */
  async view(principal: Principal, sample: Sample): Promise<SampleView> {
    const [session, references, project] = await Promise.all([
      this.repos.appSessions.findById(sample.appSessionId),
      expandReferences(this.repos, principal, sample.references),
      this.repos.projects.findById(sample.projectId),
    ]);
    return { sample, session: session!, references, projects: project ? [project] : [] };
  }
}
