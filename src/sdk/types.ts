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

export interface User {
  id: string;
  name: string;
  email: string | undefined;
  href: string;
}

/** Run statuses the hub reports; others may come from a BaseSpace server. */
export type RunStatus = 'Uploading' | 'Complete' | 'Failed' | 'Running' | (string & {});

export interface Run {
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

export interface HubFile {
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

export function fromUser(w: Wire): User {
  return { id: id(w.Id), name: str(w.Name) ?? '', email: str(w.Email), href: str(w.Href) ?? '' };
}

export function fromRun(w: Wire): Run {
  return {
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
    id: id(w.Id),
    href: str(w.Href) ?? '',
    name: str(w.Name) ?? '',
    path: str(w.Path) ?? str(w.Name) ?? '',
    size: num(w.Size) ?? 0,
    contentType: str(w.ContentType) ?? 'application/octet-stream',
    uploadStatus: str(w.UploadStatus) ?? 'complete',
    md5: str(w.ETag),
    sha256: str(w.Sha256),
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
