import { Type, type TSchema } from 'typebox';
import { MAX_LIMIT, SortDirs } from '../../domain/index.js';

/** A string enum with a readable JSON Schema (`enum`), not an anyOf of consts. */
export const StringEnum = <T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const Id = Type.String({
  description: 'Decimal id, carried as a string',
  examples: ['21646627'],
});
export const Href = Type.String({
  description: 'Relative, version-prefixed href, e.g. v1pre3/projects/1',
});
export const DateTime = Type.String({
  description: '.NET-style ISO-8601 with 7 fractional digits, e.g. 2015-04-13T15:58:40.0000000Z',
});

/** `ResponseStatus` is `{}` on success: a Message there makes the Python SDK raise. */
const EmptyStatus = Type.Object({}, { additionalProperties: false });

/** The v1 envelope around one object (spec 1.5). */
export const Envelope = <T extends TSchema>(response: T) =>
  Type.Object({
    Response: response,
    ResponseStatus: EmptyStatus,
    Notifications: Type.Array(Type.Unknown()),
  });

/** The v1 list envelope (spec 1.6). */
export const ListEnvelope = <T extends TSchema>(item: T) =>
  Envelope(
    Type.Object({
      Items: Type.Array(item),
      DisplayedCount: Type.Integer(),
      TotalCount: Type.Integer(),
      Offset: Type.Integer(),
      Limit: Type.Integer(),
      SortDir: Type.String(),
      SortBy: Type.String(),
    }),
  );

/** Error envelope: `Response` omitted, `ResponseStatus.ErrorCode` + `Message` (spec 1.7). */
export const ErrorEnvelope = Type.Object(
  {
    ResponseStatus: Type.Object({ ErrorCode: Type.String(), Message: Type.String() }),
    Notifications: Type.Array(Type.Object({ Type: Type.String(), Item: Type.String() })),
  },
  { $id: 'ErrorEnvelope', description: 'BaseSpace error envelope' },
);

/** Paging and sorting parameters of a list with the given SortBy values (spec 1.6). */
export const ListQuery = <S extends readonly string[]>(sortBy: S) =>
  Type.Object({
    // Past the end is an empty page, but beyond 2^53 a number is no longer exact and beyond 2^63
    // no database takes it: there a 400 naming Offset beats a 500.
    Offset: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Start index, default 0',
      }),
    ),
    Limit: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_LIMIT,
        description: `Page size, default 10, at most ${MAX_LIMIT}`,
      }),
    ),
    SortBy: Type.Optional(StringEnum(sortBy, { description: 'Default Id' })),
    SortDir: Type.Optional(StringEnum(SortDirs, { description: 'Default Asc' })),
  });

/**
 * Exact-match property filter of resource lists (docs/api-choices.md "Property filters"): give
 * both or neither.
 */
export const PropertyFilterQuery = {
  PropertyName: Type.Optional(
    Type.String({
      maxLength: 256,
      description:
        'With PropertyValue: only resources whose property of this name (e.g. Input.Library) holds the value',
    }),
  ),
  PropertyValue: Type.Optional(
    Type.String({
      maxLength: 65536,
      description:
        'Exact value: a string property, any item of a string[] property, or the id a reference (list) names',
    }),
  ),
};

export const ProjectSorts = ['Id', 'Name', 'DateCreated'] as const;
export const RunSorts = [
  'Id',
  'DateCreated',
  'DateModified',
  'ExperimentName',
  'Status',
  'TotalSize',
] as const;
export const GenomeSorts = ['Id', 'SpeciesName', 'Build'] as const;

/**
 * No length limit here: whatever is not an id (also a 100-character one) is a 404 from parseId,
 * like `-1` or `abc` (spec 1.7), not a 400. The router caps path parameters at 500 characters.
 */
export const IdParams = Type.Object({ id: Type.String() });

/** Responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { $ref: 'ErrorEnvelope#' },
  401: { $ref: 'ErrorEnvelope#' },
  403: { $ref: 'ErrorEnvelope#' },
  404: { $ref: 'ErrorEnvelope#' },
} as const;
