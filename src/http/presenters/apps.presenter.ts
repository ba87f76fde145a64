import { href, type AppManifest } from '../../domain/index.js';

/** ApplicationCompact (spec 2.6) from a manifest. */
export const applicationCompact = (a: AppManifest) => ({
  Id: a.id,
  Href: href('application', a.id),
  Name: a.name,
  CompanyName: 'seqhub',
  VersionNumber: a.version,
  HomepageUri: 'https://github.com/seqhub/seqhub/blob/main/docs/apps.md',
  ShortDescription: a.shortDescription,
  DateCreated: a.datePublished,
  DatePublished: a.datePublished,
  PublishStatus: 'Published',
  IsBillingActivated: false,
  Category: a.category,
  Classifications: a.category === 'Native' ? [] : ['Analysis'],
  AppFamilySlug: a.slug,
  AppVersionSlug: `${a.slug}.${a.version}`,
  Features: [],
  LockStatus: 'Unlocked',
});

export const application = (a: AppManifest) => ({
  ...applicationCompact(a),
  LongDescription: a.longDescription,
  HrefAppSessions: href('application', a.id, 'appsessions'),
  Launchable: a.engine.kind !== 'none',
  InputForm: a.inputs.map((f) => ({
    Id: f.id,
    Label: f.label,
    Type: f.kind,
    Required: f.required,
    ...(f.default !== undefined && { Default: String(f.default) }),
    ...(f.choices && { Choices: [...f.choices] }),
    ...(f.min !== undefined && { Min: f.min }),
    ...(f.max !== undefined && { Max: f.max }),
  })),
  Outputs: [...a.outputs],
  Resources: {
    TimeLimitSeconds: a.resources.timeLimitSeconds,
    MemoryMb: a.resources.memoryMb,
    Threads: a.resources.threads,
  },
});
