import { sql, type Kysely } from 'kysely';
import type {
  FileParent,
  FilePart,
  FileRecord,
  IndexStatus,
  Page,
  PageRequest,
  UploadStatus,
} from '../../../domain/index.js';
import type {
  FileFilter,
  FileRepository,
  FileSort,
  NewFile,
  SettingsRepository,
} from '../../../ports.js';
import { isUniqueViolation } from '../connect.js';
import type { Database, FilesTable } from '../schema.js';
import {
  countAll,
  optId,
  optStr,
  orderAndPage,
  pageOf,
  propertyCondition,
  toId,
} from './common.js';

const SORT_COLUMNS: Record<FileSort, string> = {
  Id: 'f.id',
  Path: 'f.path',
  DateCreated: 'f.created_at',
  Name: 'f.name',
};

const PARENT_TABLE = { sample: 'samples', appresult: 'appresults', run: 'runs' } as const;

export class KyselyFileRepository implements FileRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async create(input: NewFile): Promise<FileRecord> {
    const at = this.now();
    const row = await this.db
      .insertInto('files')
      .values({
        parent_kind: input.parentKind,
        parent_id: input.parentId,
        owner_id: input.ownerId,
        project_id: input.projectId ?? null,
        name: input.name,
        directory: input.directory,
        path: input.path,
        content_type: input.contentType,
        upload_status: 'pending',
        multipart: input.multipart ? 1 : 0,
        md5: null,
        sha256: null,
        crc32: null,
        storage_key: null,
        created_at: at,
        modified_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapFile(row);
  }

  async findById(id: string): Promise<FileRecord | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && mapFile(row);
  }

  async findByIds(ids: readonly string[]): Promise<FileRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapFile);
  }

  async list(
    parent: FileParent,
    parentId: string,
    filter: FileFilter,
    page: PageRequest<FileSort>,
  ): Promise<Page<FileRecord>> {
    let base = this.db
      .selectFrom('files as f')
      .where('f.parent_kind', '=', parent)
      .where('f.parent_id', '=', parentId)
      .where('f.upload_status', '=', 'complete');
    if (filter.extensions?.length) {
      const exts = filter.extensions;
      // Extensions were checked to hold no LIKE wildcards (domain/files.ts parseExtensions).
      base = base.where((eb) => eb.or(exts.map((e) => eb(sql`lower(f.name)`, 'like', `%${e}`))));
    }
    if (filter.property) base = base.where(propertyCondition('file', 'f.id', filter.property));
    if (filter.directory !== undefined && filter.directory !== '') {
      const d = filter.directory;
      base = base.where((eb) =>
        eb.or([
          eb('f.directory', '=', d),
          eb(sql`substr(f.directory, 1, ${d.length + 1})`, '=', `${d}/`),
        ]),
      );
    }
    const rows = orderAndPage(base.selectAll('f'), page, SORT_COLUMNS, 'f.id').execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapFile);
  }

  async transition(
    id: string,
    from: UploadStatus | 'assembling',
    patch: {
      uploadStatus: UploadStatus | 'assembling';
      size?: number;
      md5?: string;
      sha256?: string;
      crc32?: string;
      storageKey?: string;
      indexStatus?: IndexStatus;
    },
  ): Promise<FileRecord | undefined> {
    const row = await this.db
      .updateTable('files')
      .set({
        upload_status: patch.uploadStatus,
        modified_at: this.now(),
        ...(patch.size !== undefined && { size: patch.size }),
        ...(patch.md5 !== undefined && { md5: patch.md5 }),
        ...(patch.sha256 !== undefined && { sha256: patch.sha256 }),
        ...(patch.crc32 !== undefined && { crc32: patch.crc32 }),
        ...(patch.storageKey !== undefined && { storage_key: patch.storageKey }),
        ...(patch.indexStatus !== undefined && { index_status: patch.indexStatus }),
      })
      .where('id', '=', id)
      .where('upload_status', '=', from)
      .returningAll()
      .executeTakeFirst();
    return row && mapFile(row);
  }

  async addToParentSize(file: FileRecord, delta: number): Promise<void> {
    await this.db
      .updateTable(PARENT_TABLE[file.parentKind])
      .set((eb) => ({ total_size: eb('total_size', '+', delta) }))
      .where('id', '=', file.parentId)
      .execute();
    if (file.projectId !== undefined) {
      await this.db
        .updateTable('projects')
        .set((eb) => ({ total_size: eb('total_size', '+', delta) }))
        .where('id', '=', file.projectId)
        .execute();
    }
  }

  async putPart(fileId: string, part: FilePart): Promise<string | undefined> {
    const values = {
      file_id: fileId,
      number: part.number,
      size: part.size,
      md5: part.md5,
      storage_key: part.storageKey,
      created_at: part.createdAt,
    };
    // Re-sent parts replace the earlier one (last one wins); the old bytes are the caller's to delete.
    for (let attempt = 0; ; attempt++) {
      const previous = await this.db
        .selectFrom('file_parts')
        .select('storage_key')
        .where('file_id', '=', fileId)
        .where('number', '=', part.number)
        .executeTakeFirst();
      if (previous) {
        const updated = await this.db
          .updateTable('file_parts')
          .set(values)
          .where('file_id', '=', fileId)
          .where('number', '=', part.number)
          .where('storage_key', '=', previous.storage_key)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 1) return previous.storage_key;
      } else {
        try {
          await this.db.insertInto('file_parts').values(values).execute();
          return undefined;
        } catch (error) {
          if (!isUniqueViolation(error) || attempt > 5) throw error;
        }
      }
    }
  }

  async listParts(fileId: string): Promise<FilePart[]> {
    const rows = await this.db
      .selectFrom('file_parts')
      .selectAll()
      .where('file_id', '=', fileId)
      .orderBy('number')
      .execute();
    return rows.map((r) => ({
      number: r.number,
      size: Number(r.size),
      md5: r.md5,
      storageKey: r.storage_key,
      createdAt: r.created_at,
    }));
  }

  async deleteParts(fileId: string): Promise<void> {
    await this.db.deleteFrom('file_parts').where('file_id', '=', fileId).execute();
  }

  async stale(
    status: UploadStatus | 'assembling',
    before: string,
    multipart: boolean | undefined,
    limit: number,
  ): Promise<FileRecord[]> {
    let q = this.db
      .selectFrom('files')
      .selectAll()
      .where('upload_status', '=', status)
      .where('modified_at', '<', before);
    if (multipart !== undefined) q = q.where('multipart', '=', multipart ? 1 : 0);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map(mapFile);
  }

  async setIndexStatus(
    id: string,
    status: IndexStatus,
    message: string | undefined,
    from?: IndexStatus,
  ): Promise<boolean> {
    let q = this.db
      .updateTable('files')
      .set({ index_status: status, index_message: message ?? null })
      .where('id', '=', id);
    if (from !== undefined) q = q.where('index_status', '=', from);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listIndexPending(limit: number): Promise<FileRecord[]> {
    const rows = await this.db
      .selectFrom('files')
      .selectAll()
      .where('index_status', '=', 'pending')
      .where('upload_status', '=', 'complete')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(mapFile);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('files').where('id', '=', id).execute();
  }
}

export class KyselySettingsRepository implements SettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async putIfAbsent(key: string, value: string): Promise<string> {
    try {
      await this.db.insertInto('settings').values({ key, value }).execute();
      return value;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return (await this.get(key))!;
    }
  }
}

type FileRow = {
  [K in keyof FilesTable]: K extends 'id' | 'size' ? number | string : FilesTable[K];
};

function mapFile(r: FileRow): FileRecord {
  return {
    id: toId(r.id),
    parentKind: r.parent_kind as FileParent,
    parentId: toId(r.parent_id),
    ownerId: toId(r.owner_id),
    projectId: optId(r.project_id),
    name: r.name,
    directory: r.directory,
    path: r.path,
    contentType: r.content_type,
    size: Number(r.size),
    uploadStatus: r.upload_status as UploadStatus,
    multipart: r.multipart !== 0,
    md5: optStr(r.md5),
    sha256: optStr(r.sha256),
    ...(r.crc32 !== null && { crc32: r.crc32 }),
    storageKey: optStr(r.storage_key),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    ...(r.index_status !== null && {
      indexStatus: r.index_status as IndexStatus,
      indexMessage: optStr(r.index_message),
    }),
  };
}
