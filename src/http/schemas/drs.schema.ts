import { Type } from 'typebox';

/**
 * GA4GH DRS 1.4 wire shapes (snake_case, as the DRS OpenAPI document names them). Only what this
 * hub serves: single blobs, one `https` access method.
 */

/** DRS `Error`: the body of every DRS 4xx/5xx. */
export const DrsError = Type.Object(
  {
    msg: Type.String({ description: 'A detailed error message' }),
    status_code: Type.Integer({ description: 'The HTTP status, repeated' }),
  },
  { description: 'GA4GH DRS error' },
);

export const DrsChecksum = Type.Object({
  checksum: Type.String({ description: 'Hex digest of the bytes' }),
  type: Type.String({ description: 'IANA hash name: sha-256, md5' }),
});

export const DrsAccessMethod = Type.Object({
  type: Type.String({ description: 'https' }),
  access_id: Type.String({ description: 'Pass to objects/{object_id}/access/{access_id}' }),
});

export const DrsObject = Type.Object({
  id: Type.String({ description: 'The file id' }),
  name: Type.String(),
  self_uri: Type.String({ description: 'drs://<host>/<id>', examples: ['drs://hub.example/42'] }),
  size: Type.Integer(),
  created_time: Type.String({ format: 'date-time', description: 'RFC 3339' }),
  updated_time: Type.String({ format: 'date-time', description: 'RFC 3339' }),
  mime_type: Type.String(),
  checksums: Type.Array(DrsChecksum, { minItems: 1 }),
  access_methods: Type.Array(DrsAccessMethod, { minItems: 1 }),
});

export const DrsAccessUrl = Type.Object({
  url: Type.String({ description: 'Fetches the bytes without a token until it expires' }),
  headers: Type.Array(Type.String(), { description: 'Headers to send with it (none needed)' }),
});

export const DrsObjectParams = Type.Object({ object_id: Type.String() });
export const DrsAccessParams = Type.Object({
  object_id: Type.String(),
  access_id: Type.String(),
});

/** `expand` only concerns bundles; this hub serves blobs, so it is accepted and ignored. */
export const DrsObjectQuery = Type.Object({
  expand: Type.Optional(Type.Boolean({ description: 'Accepted, ignored (blobs only)' })),
});

const Passports = Type.Optional(
  Type.Array(Type.String({ maxLength: 16_384 }), {
    maxItems: 100,
    description: 'GA4GH Passports: accepted, not used (authorization is the bearer token)',
  }),
);

/** POST objects/{object_id} (DRS 1.4 `PostObjectBody`). */
export const DrsObjectBody = Type.Object({
  expand: Type.Optional(Type.Boolean({ description: 'Accepted, ignored (blobs only)' })),
  passports: Passports,
});

/** POST objects/{object_id}/access/{access_id} (DRS 1.4 `Passports`). */
export const DrsAccessBody = Type.Object({ passports: Passports });

export const DrsServiceInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.Object({ group: Type.String(), artifact: Type.String(), version: Type.String() }),
  description: Type.String(),
  organization: Type.Object({ name: Type.String(), url: Type.String() }),
  version: Type.String(),
  maxBulkRequestLength: Type.Integer(),
  drs: Type.Object({ maxBulkRequestLength: Type.Integer() }),
});
