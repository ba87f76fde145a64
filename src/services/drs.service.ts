import { notFound, truncateForMessage, type FileRecord } from '../domain/index.js';
import type { AccessService } from './access.service.js';
import type { FileService } from './file.service.js';
import type { Principal } from './principal.js';

/**
 * The one access method every DRS object has (GA4GH DRS 1.4 `AccessMethod.access_id`): an
 * `https` URL signed the way `files/{id}/content?redirect=meta` signs it (S3 pre-signed, or this
 * hub's HMAC on local storage).
 */
export const DRS_ACCESS_ID = 'https';

/**
 * GA4GH Data Repository Service 1.4 over the hub's files (issue 7): a DRS object is a complete
 * file, its DRS id the file id. The same rules as the v1pre3 file routes decide who sees what:
 * metadata needs `browse`, the access URL `read`; a file the caller may not see, or one whose
 * upload is not complete, does not exist.
 */
export class DrsService {
  constructor(
    private readonly access: AccessService,
    private readonly files: FileService,
  ) {}

  /** The file behind a DRS object, once the caller may see it (`browse`, as `files/{id}`). */
  object(principal: Principal, objectId: string): Promise<FileRecord> {
    return this.complete(principal, objectId, 'browse');
  }

  /**
   * A signed URL for the object's bytes (`read`, as a download; audited as
   * `file.download.url`). An `accessId` the object does not list is a 404 (DRS 1.4
   * `404NotFoundAccess`).
   */
  async accessUrl(
    principal: Principal,
    objectId: string,
    accessId: string,
    origin: string,
  ): Promise<{ url: string; expires: Date }> {
    const file = await this.complete(principal, objectId, 'read');
    if (accessId !== DRS_ACCESS_ID) {
      throw notFound(
        `Object ${file.id} has no access method '${truncateForMessage(accessId)}' (it has '${DRS_ACCESS_ID}')`,
      );
    }
    return this.files.contentUrl(principal, file.id, origin);
  }

  private async complete(
    principal: Principal,
    objectId: string,
    need: 'browse' | 'read',
  ): Promise<FileRecord> {
    const file = await this.access.file(principal, objectId, need);
    // A multipart upload in progress is visible to its uploader on the v1pre3 routes (to resume
    // it); as a DRS object it has no size or checksum yet, so it does not exist.
    if (file.uploadStatus !== 'complete') throw notFound(`Object '${file.id}' doesn't exist`);
    return file;
  }
}
