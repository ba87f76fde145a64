/**
 * What the SDK hands out: camelCase views of the v1pre3 resources. The PascalCase wire names
 * appear only in this file's `from*` readers (house style 4), so callers never see them.
 */

/** One page of a list (spec 1.6): `Items`, `Offset`, `Limit`, `TotalCount`. */
export interface Page<T> {
  items: T[];
  offset: number;
  limit: number;
  totalCount: number;
}

/** The rest of a resource's wire fields, camelCased (`HrefBaseSpaceUI` -> `hrefBaseSpaceUI`). */
export interface Extra {
  [field: string]: unknown;
}

export interface User extends Extra {
  id: string;
  name: string;
  email: string | undefined;
  href: string;
}

/** A user as other resources name them (owner, creator). */
export interface UserRef extends Extra {
  id: string;
  href: string;
  name: string;
}

export interface Project extends Extra {
  id: string;
  href: string;
  name: string;
  description: string | undefined;
  userOwnedBy: UserRef | undefined;
  dateCreated: string | undefined;
  dateModified: string | undefined;
  hasCollaborators: boolean | undefined;
  totalSize: number;
}

export interface Sample extends Extra {
  id: string;
  href: string;
  name: string;
  /** The sample sheet's Sample_ID. */
  sampleId: string | undefined;
  status: string;
  dateCreated: string | undefined;
  userOwnedBy: UserRef | undefined;
  totalSize: number;
}

export interface AppSession extends Extra {
  id: string;
  href: string;
  name: string;
  /** Running, Complete, Aborted, NeedsAttention, ... */
  status: string;
  statusSummary: string | undefined;
  dateCreated: string | undefined;
  userCreatedBy: UserRef | undefined;
  totalSize: number;
}

export interface AppResult extends Extra {
  id: string;
  href: string;
  name: string;
  description: string | undefined;
  status: string;
  dateCreated: string | undefined;
  userOwnedBy: UserRef | undefined;
  totalSize: number;
  appSession: AppSession | undefined;
}

export interface Genome extends Extra {
  id: string;
  href: string;
  speciesName: string | undefined;
  source: string | undefined;
  build: string | undefined;
  displayName: string | undefined;
}

/**
 * A property (spec 5): `content` for single values (`string`, `map`, a resource), `items` for
 * `[]` types (the first items only inside a list; `listPropertyItems` pages the rest).
 */
export interface Property extends Extra {
  name: string;
  type: string;
  href: string;
  description: string | undefined;
  content: unknown;
  items: unknown[] | undefined;
  itemsTotalCount: number | undefined;
}

/** One item of a `[]` property, as `.../items` pages them. */
export interface PropertyItem {
  id: string;
  content: unknown;
}

/** A property to write: `content` (a string, or map/resource value) or `items` (a `[]` type). */
export interface PropertyInput {
  name: string;
  /** Told from the value when absent: a string is `string`, a string list `string[]`. */
  type?: string;
  description?: string;
  content?: unknown;
  items?: unknown[];
}

/** Access levels of a share, as the hub spells them. */
export type ShareAccess = 'Read' | 'Write';

export interface Collaborator extends Extra {
  id: string;
  href: string;
  user: { id: string; href: string; name: string; email: string | undefined };
  access: ShareAccess | (string & {});
}

export interface ShareLink extends Extra {
  id: string;
  href: string;
  label: string | undefined;
  isActive: boolean;
  /** Only in the answer that created it. */
  token: string | undefined;
}

/** One search hit: `type` names which one resource it is; `item` is that resource. */
export interface SearchHit {
  type: 'Project' | 'Sample' | 'AppResult' | 'Run' | 'SampleFile' | 'AppResultFile' | 'RunFile';
  score: number;
  item: Extra & { id: string; name: string };
}

/** The answer of `POST oauthv2/deviceauthorization` (spec 1.3.2). */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  /** Seconds to wait between polls. */
  interval: number;
}

/** An access token granted by the token endpoint. */
export interface TokenGrant {
  accessToken: string;
  scope: string;
  expiresIn: number | undefined;
}

/** Run statuses the hub reports; others may come from a BaseSpace server. */
export type RunStatus = 'Uploading' | 'Complete' | 'Failed' | 'Running' | (string & {});

export interface Run extends Extra {
  id: string;
  href: string;
  name: string;
  experimentName: string | undefined;
  status: RunStatus;
  totalSize: number;
  dateCreated: string | undefined;
  instrumentType: string | undefined;
  instrumentName: string | undefined;
  flowcellBarcode: string | undefined;
  readStructure: string | undefined;
  numLanes: number | undefined;
  numTiles: number | undefined;
}

export type UploadStatus = 'pending' | 'complete' | 'aborted' | (string & {});

export interface HubFile extends Extra {
  id: string;
  href: string;
  name: string;
  /** `directory/name` relative to its run, sample or app result. */
  path: string;
  size: number;
  contentType: string;
  uploadStatus: UploadStatus;
  /** MD5 of the content, hex (the hub's `ETag` field; absent while pending). */
  md5: string | undefined;
  sha256: string | undefined;
  /** CRC-32 of the content, 8 hex digits (`Crc32`, a seqhub extension; absent on older files). */
  crc32?: string | undefined;
  dateCreated: string | undefined;
}

export interface FilePart {
  number: number;
  /** MD5 of the part, hex. */
  md5: string;
  size: number;
}

type Wire = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
/** Ids are strings on the wire; a BaseSpace-alike that sends numbers still gives strings. */
const id = (v: unknown): string => (typeof v === 'number' ? String(v) : (str(v) ?? ''));

/** A wire object's keys camelCased, deeply: `HrefBaseSpaceUI` -> `hrefBaseSpaceUI`. */
export function camelize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelize);
  if (typeof v !== 'object' || v === null) return v;
  const out: Wire = {};
  for (const [k, x] of Object.entries(v)) out[k.charAt(0).toLowerCase() + k.slice(1)] = camelize(x);
  return out;
}

const rest = (w: Wire) => camelize(w) as Extra;
const obj = (v: unknown): Wire | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : undefined;
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

export function fromUser(w: Wire): User {
  return {
    ...rest(w),
    id: id(w.Id),
    name: str(w.Name) ?? '',
    email: str(w.Email),
    href: str(w.Href) ?? '',
  };
}

function fromUserRef(v: unknown): UserRef | undefined {
  const w = obj(v);
  return w && { ...rest(w), id: id(w.Id), href: str(w.Href) ?? '', name: str(w.Name) ?? '' };
}

export function fromProject(w: Wire): Project {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    description: str(w.Description),
    userOwnedBy: fromUserRef(w.UserOwnedBy),
    dateCreated: str(w.DateCreated),
    dateModified: str(w.DateModified),
    hasCollaborators: bool(w.HasCollaborators),
    totalSize: num(w.TotalSize) ?? 0,
  };
}

export function fromSample(w: Wire): Sample {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    sampleId: str(w.SampleId),
    status: str(w.Status) ?? '',
    dateCreated: str(w.DateCreated),
    userOwnedBy: fromUserRef(w.UserOwnedBy),
    totalSize: num(w.TotalSize) ?? 0,
  };
}

export function fromAppSession(w: Wire): AppSession {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    status: str(w.Status) ?? '',
    statusSummary: str(w.StatusSummary),
    dateCreated: str(w.DateCreated),
    userCreatedBy: fromUserRef(w.UserCreatedBy),
    totalSize: num(w.TotalSize) ?? 0,
  };
}

export function fromAppResult(w: Wire): AppResult {
  const session = obj(w.AppSession);
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    description: str(w.Description),
    status: str(w.Status) ?? '',
    dateCreated: str(w.DateCreated),
    userOwnedBy: fromUserRef(w.UserOwnedBy),
    totalSize: num(w.TotalSize) ?? 0,
    appSession: session && fromAppSession(session),
  };
}

export function fromGenome(w: Wire): Genome {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    speciesName: str(w.SpeciesName),
    source: str(w.Source),
    build: str(w.Build),
    displayName: str(w.DisplayName),
  };
}

export function fromProperty(w: Wire): Property {
  return {
    ...rest(w),
    name: str(w.Name) ?? '',
    type: str(w.Type) ?? '',
    href: str(w.Href) ?? '',
    description: str(w.Description),
    content: camelize(w.Content),
    items: Array.isArray(w.Items) ? (camelize(w.Items) as unknown[]) : undefined,
    itemsTotalCount: num(w.ItemsTotalCount),
  };
}

/** A PropertyInput in the wire form of a `Properties` list entry. */
export function toProperty(p: PropertyInput): Wire {
  const out: Wire = { Name: p.name };
  if (p.type !== undefined) out.Type = p.type;
  if (p.description !== undefined) out.Description = p.description;
  if (p.content !== undefined) out.Content = p.content;
  if (p.items !== undefined) out.Items = p.items;
  return out;
}

export function fromCollaborator(w: Wire): Collaborator {
  const u = obj(w.User) ?? {};
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    user: { id: id(u.Id), href: str(u.Href) ?? '', name: str(u.Name) ?? '', email: str(u.Email) },
    access: str(w.Access) ?? '',
  };
}

export function fromShareLink(w: Wire): ShareLink {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    label: str(w.Label),
    isActive: bool(w.IsActive) ?? false,
    token: str(w.Token),
  };
}

export function fromSearchHit(w: Wire): SearchHit {
  const type = (str(w.Type) ?? 'Project') as SearchHit['type'];
  const item = obj(w[type]) ?? {};
  return {
    type,
    score: num(w.Score) ?? 0,
    item: { ...rest(item), id: id(item.Id), name: str(item.Name) ?? '' },
  };
}

export function fromDeviceAuthorization(w: Wire): DeviceAuthorization {
  return {
    deviceCode: str(w.device_code) ?? '',
    userCode: str(w.user_code) ?? '',
    verificationUri: str(w.verification_uri) ?? '',
    verificationUriComplete:
      str(w.verification_uri_complete) ?? str(w.verification_with_code_uri) ?? '',
    expiresIn: num(w.expires_in) ?? 0,
    interval: num(w.interval) ?? 5,
  };
}

export function fromTokenGrant(w: Wire): TokenGrant {
  return {
    accessToken: str(w.access_token) ?? '',
    scope: str(w.scope) ?? '',
    expiresIn: num(w.expires_in),
  };
}

export function fromRun(w: Wire): Run {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    experimentName: str(w.ExperimentName),
    status: str(w.Status) ?? '',
    totalSize: num(w.TotalSize) ?? 0,
    dateCreated: str(w.DateCreated),
    instrumentType: str(w.InstrumentType),
    instrumentName: str(w.InstrumentName),
    flowcellBarcode: str(w.FlowcellBarcode),
    readStructure: str(w.ReadStructure),
    numLanes: num(w.NumLanes),
    numTiles: num(w.NumTiles),
  };
}

export function fromFile(w: Wire): HubFile {
  return {
    ...rest(w),
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    path: str(w.Path) ?? str(w.Name) ?? '',
    size: num(w.Size) ?? 0,
    contentType: str(w.ContentType) ?? 'application/octet-stream',
    uploadStatus: str(w.UploadStatus) ?? 'complete',
    md5: str(w.ETag),
    sha256: str(w.Sha256),
    crc32: str(w.Crc32),
    dateCreated: str(w.DateCreated),
  };
}

export function fromPart(w: Wire): FilePart {
  return {
    number: num(w.Number) ?? 0,
    md5: (str(w.ETag) ?? '').replace(/"/g, ''),
    size: num(w.Size) ?? 0,
  };
}

/** A list envelope's `Response` as a Page of `read(item)`. */
export function fromPage<T>(w: Wire, read: (item: Wire) => T): Page<T> {
  const items = Array.isArray(w.Items) ? (w.Items as Wire[]).map(read) : [];
  return {
    items,
    offset: num(w.Offset) ?? 0,
    limit: num(w.Limit) ?? items.length,
    totalCount: num(w.TotalCount) ?? items.length,
  };
}
