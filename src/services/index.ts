import type { BlobStore, Clock, Repositories } from '../ports.js';
import { AccessService } from './access.service.js';
import { AppResultService } from './appresult.service.js';
import { AppSessionService } from './appsession.service.js';
import { AuthService } from './auth.service.js';
import { FileService, type FileServiceOptions } from './file.service.js';
import { GenomeService } from './genome.service.js';
import { ProjectService } from './project.service.js';
import { PropertyService } from './property.service.js';
import { RunService } from './run.service.js';
import { SampleService } from './sample.service.js';
import { SearchService } from './search.service.js';
import { UserService } from './user.service.js';

export type { Principal } from './principal.js';
export { hashToken } from './auth.service.js';
export type { FileServiceOptions } from './file.service.js';
export type { PropertyView, ReferencedObject, ResolvedRef } from './property.service.js';
export type { NewAppResultInput } from './appresult.service.js';
export type { NewSampleInput } from './sample.service.js';
export type { ExpandedReference, ReferenceInput, ReferencedContent } from './references.js';
export type { AppResultView } from './appresult.service.js';
export type { SampleView } from './sample.service.js';
export type { SearchItem } from './search.service.js';
export type { RunFolderSource } from './run.service.js';

export interface Services {
  auth: AuthService;
  users: UserService;
  projects: ProjectService;
  appSessions: AppSessionService;
  appResults: AppResultService;
  samples: SampleService;
  runs: RunService;
  genomes: GenomeService;
  files: FileService;
  properties: PropertyService;
  search: SearchService;
}

export function createServices(
  repos: Repositories,
  clock: Clock,
  storage: { blobs: BlobStore; files: FileServiceOptions },
): Services {
  const access = new AccessService(repos);
  return {
    auth: new AuthService(repos, clock),
    users: new UserService(),
    projects: new ProjectService(repos, access),
    appSessions: new AppSessionService(repos, access),
    appResults: new AppResultService(repos, access),
    samples: new SampleService(repos, access),
    runs: new RunService(repos, access, storage.blobs, clock),
    genomes: new GenomeService(repos),
    files: new FileService(repos, access, storage.blobs, clock, storage.files),
    properties: new PropertyService(repos, access),
    search: new SearchService(repos),
  };
}
