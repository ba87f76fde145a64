/**
 * The one error type of seqhub. Thrown anywhere; only the HTTP error plugin renders it as the
 * BaseSpace envelope (`ResponseStatus.ErrorCode`, `Message`).
 */
export const ErrorCodes = {
  BadRequest: { status: 400, doc: 'A parameter or the body is malformed or out of range.' },
  Unauthorized: { status: 401, doc: 'The access token is missing, unknown or revoked.' },
  Forbidden: {
    status: 403,
    doc: "The caller may see the resource, but the token's scope or their share level does not grant the access needed.",
  },
  NotFound: {
    status: 404,
    doc: 'No such resource, or it is neither owned by nor shared with the caller.',
  },
  MethodNotAllowed: { status: 405, doc: 'The path exists but not with this HTTP method.' },
  RequestTimeout: {
    status: 408,
    doc: 'The request headers or body did not arrive in time; the connection is closed.',
  },
  Conflict: { status: 409, doc: 'The request conflicts with the current state of a resource.' },
  PayloadTooLarge: { status: 413, doc: 'The request body is larger than the endpoint accepts.' },
  UnsupportedMediaType: { status: 415, doc: 'The Content-Type of the body is not accepted here.' },
  TooManyRequests: {
    status: 429,
    doc: 'Too many failed sign-ins or bad tokens from this address or for this account; Retry-After says when to try again.',
  },
  RequestHeaderFieldsTooLarge: {
    status: 431,
    doc: 'The request line and headers together exceed 16 KiB (for example a query string too long); the connection is closed.',
  },
  InternalServerError: { status: 500, doc: 'A bug: reported, logged with the request id.' },
  ServiceUnavailable: {
    status: 503,
    doc: 'The database or the file storage cannot be reached right now; nothing was changed. Retry-After says when to try again.',
  },
  InsufficientStorage: {
    status: 507,
    doc: "The hub's storage is full; the upload (or write) was discarded and nothing was changed.",
  },
  'BASESPACE.USERS.USER_ID_NOT_VALID': {
    status: 400,
    doc: "users/{id} with an id other than 'current' or the caller's own id.",
  },
  'BASESPACE.APPSESSIONS.STATUS_INVALID': {
    status: 400,
    doc: 'Unknown AppSession status, or a transition the status rules forbid.',
  },
  'BASESPACE.APPSESSIONS.NOT_WORKABLE': {
    status: 409,
    doc: 'The AppSession is Complete or Aborted: nothing can be added to it or changed.',
  },
  'BASESPACE.REFERENCES.NOT_RESOLVED': {
    status: 409,
    doc: 'A well-formed reference (HrefContent, HrefGenome, HrefAppSession) names nothing the caller can see.',
  },
  'BASESPACE.FILES.CHECKSUM_MISMATCH': {
    status: 400,
    doc: 'The Content-MD5 sent with a part does not match the bytes received; the part is discarded.',
  },
  'BASESPACE.FILES.UPLOAD_INCOMPLETE': {
    status: 400,
    doc: 'uploadstatus=complete while parts 1..N are not all there; the message lists the missing ones.',
  },
  'BASESPACE.FILES.NOT_PENDING': {
    status: 409,
    doc: 'The file is complete (immutable) or aborted, or is not a multipart upload: it takes no parts or status changes.',
  },
  'BASESPACE.RUNS.FOLDER_INVALID': {
    status: 400,
    doc: 'A run folder without RunInfo.xml, or whose RunInfo/RunParameters/sample sheet/InterOp file does not parse, or whose sample sheet has problems; the message names the file and the line or byte.',
  },
  'BASESPACE.RUNS.SAMPLESHEET_INVALID': {
    status: 400,
    doc: "The sample sheet of a demultiplexing request (the request's SampleSheet, else the run's SampleSheet.csv) is missing, does not parse, or cannot be demultiplexed: duplicate samples, indexes colliding within the allowed mismatches (the pair is named), indexes longer than the index cycles, bad characters, OverrideCycles that do not fit RunInfo.",
  },
  'BASESPACE.RUNS.NOT_COMPLETE': {
    status: 409,
    doc: 'Demultiplexing a run that is not Complete (still Uploading): its files may still change.',
  },
  'BASESPACE.RUNS.NOT_UPLOADING': {
    status: 409,
    doc: 'Files or `uploadstatus=complete` for a run that is no longer Uploading (its files are immutable once complete).',
  },
  'BASESPACE.FILES.RANGE_NOT_SATISFIABLE': {
    status: 416,
    doc: 'A Range header that is malformed or lies outside the file.',
  },
  'BASESPACE.FILES.SIGNATURE_INVALID': {
    status: 403,
    doc: 'A signed content URL that was altered or has expired.',
  },
  'BASESPACE.PROPERTIES.NAME_LENGTH': {
    status: 400,
    doc: 'A property name shorter than 3 or longer than 64 characters (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.NAME_INVALID': {
    status: 400,
    doc: 'A property name that is not dot-separated segments of letters, digits, - and _ (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.DUPLICATE_NAMES': {
    status: 400,
    doc: 'The same property name twice in one POST (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.TYPE_INVALID': {
    status: 400,
    doc: 'An unknown property Type, or none where the content does not tell it (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.CONTENT_INVALID': {
    status: 400,
    doc: 'Content or items of the wrong shape for the property type.',
  },
  'BASESPACE.PROPERTIES.CONTENT_LENGTH': {
    status: 400,
    doc: 'A string content, item, map value or description over its documented limit.',
  },
  'BASESPACE.PROPERTIES.ITEMS_LIMIT': {
    status: 400,
    doc: 'Too many items, map keys, properties in one POST or on one resource.',
  },
  'BASESPACE.PROPERTIES.CONTENT_REFERENCE_INVALID': {
    status: 400,
    doc: 'Reference content that is not an href of the declared kind (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID': {
    status: 400,
    doc: 'A map key that is empty, over 64 characters or has invalid characters (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.CONTENT_MAP_DUPES': {
    status: 400,
    doc: 'The same key twice in one map (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.CONTENT_REFERENCE_NOT_RESOLVED': {
    status: 409,
    doc: 'A well-formed reference to nothing the caller can see (spec 5.2).',
  },
  'BASESPACE.PROPERTIES.NOT_FOUND': {
    status: 404,
    doc: 'No property of that name on the resource (spec 5.4).',
  },
  'BASESPACE.GENOMICS.REGION_INVALID': {
    status: 400,
    doc: 'StartPos/EndPos (or an htsget start/end) that is not a whole number, below 1, inverted, or past the end of the chromosome.',
  },
  'BASESPACE.GENOMICS.REGION_TOO_LARGE': {
    status: 400,
    doc: 'A region query that would read more than the per-request limit: narrow the region or pick a coarser zoom.',
  },
  'BASESPACE.GENOMICS.NOT_INDEXED': {
    status: 409,
    doc: 'The VCF/BAM is still being indexed (try again shortly), or its indexing failed; the message says which and why.',
  },
  'BASESPACE.GENOMICS.NOT_FOUND': {
    status: 404,
    doc: 'No such chromosome in the file, or no variants or coverage in the region (IGV relies on this 404, spec 4.11/4.12).',
  },
  'BASESPACE.APPLICATIONS.INPUT_INVALID': {
    status: 400,
    doc: "An app launch whose inputs do not fit the app's form: a missing or unknown input, a wrong type, an option out of range; the message names the input.",
  },
  'BASESPACE.GENOMES.NO_SEQUENCE': {
    status: 400,
    doc: 'An app launch names a genome whose sequence is not registered (or not indexed yet): see `HasSequence`.',
  },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, httpStatus: number = ErrorCodes[code].status) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

export const badRequest = (message: string): AppError => new AppError('BadRequest', message);
export const notFound = (message: string): AppError => new AppError('NotFound', message);
export const forbidden = (message: string): AppError => new AppError('Forbidden', message);

/** A 429: too many failed attempts; the client may retry after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TooManyRequests', message);
    this.name = 'RateLimitedError';
  }
}
