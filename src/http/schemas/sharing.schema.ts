import { Type } from 'typebox';
import { DateTime, Href, Id, StringEnum } from './common.schema.js';
import { UserCompact } from './resources.schema.js';

/** Sharing, share links and the audit log (issue 4; docs/api-choices.md "Sharing"). */
const opt = Type.Optional;

export const ShareAccess = StringEnum(['Read', 'Write'] as const, {
  description: 'Read: read everything in it; Write: also create samples, app results, files',
});

export const Collaborator = Type.Object({
  Id: { ...Id, description: "The collaborator's user id" },
  Href,
  User: Type.Intersect([UserCompact, Type.Object({ Email: Type.String() })]),
  Access: ShareAccess,
  DateCreated: DateTime,
  DateModified: DateTime,
});

export const ShareLink = Type.Object({
  Id,
  Href,
  Label: Type.String(),
  Access: StringEnum(['Read'] as const),
  IsActive: Type.Boolean(),
  DateCreated: DateTime,
  DateDeactivated: opt(DateTime),
  Token: opt(
    Type.String({
      description:
        'The link secret, in the answer to its creation only: send it as x-access-token, Authorization: Bearer, access_token or link',
    }),
  ),
});

export const AuditEvent = Type.Object({
  Id,
  DateCreated: DateTime,
  Action: Type.String({ examples: ['project.share.add', 'file.download'] }),
  Actor: Type.Object({
    Kind: StringEnum(['user', 'link', 'signed-url', 'system'] as const),
    Id: opt(Id),
  }),
  Target: Type.Object({ Kind: Type.String(), Id: Type.String() }),
  ProjectId: opt(Id),
  RunId: opt(Id),
  ClientIp: opt(Type.String()),
  Details: opt(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  ),
});

const UserSelector = {
  UserId: opt(Type.String({ maxLength: 32, description: 'The user, by id' })),
  Email: opt(Type.String({ maxLength: 254, description: 'The user, by email' })),
};

export const ShareBody = Type.Object({ ...UserSelector, Access: ShareAccess });
export const LevelBody = Type.Object({ Access: ShareAccess });
export const OwnerBody = Type.Object(UserSelector);
export const LinkBody = Type.Object({ Label: opt(Type.String({ maxLength: 1024 })) });

export const Ownerships = ['All', 'Owned', 'Shared'] as const;
export const OwnershipQuery = StringEnum(Ownerships, {
  description: 'All (default): owned and shared with you; Owned; Shared: shared with you by others',
});
