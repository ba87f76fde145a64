import type { FileRecord } from '../../domain/index.js';
import { DRS_ACCESS_ID } from '../../services/index.js';

/**
 * A complete file as a GA4GH DRS 1.4 `DrsObject` (a single blob). `host` is this hub's host (and
 * port) as clients reach it: `self_uri` is the hostname-based `drs://<host>/<id>` that resolves
 * back to `<scheme>://<host>/ga4gh/drs/v1/objects/<id>`.
 */
export function drsObject(file: FileRecord, host: string) {
  const checksums: { checksum: string; type: string }[] = [];
  // IANA hash names (DRS 1.4 Checksum.type); both are computed over the bytes at upload.
  if (file.sha256) checksums.push({ checksum: file.sha256, type: 'sha-256' });
  if (file.md5) checksums.push({ checksum: file.md5, type: 'md5' });
  return {
    id: file.id,
    name: file.name,
    self_uri: `drs://${host}/${file.id}`,
    size: file.size,
    created_time: file.createdAt,
    // Complete files are immutable: the content's update time is when its upload completed.
    updated_time: file.modifiedAt,
    mime_type: file.contentType,
    checksums,
    access_methods: [{ type: 'https', access_id: DRS_ACCESS_ID }],
  };
}
