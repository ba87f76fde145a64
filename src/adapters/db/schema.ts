import type { Generated } from 'kysely';

/**
 * Table shapes. Ids are int64 (SQLite INTEGER PRIMARY KEY, PostgreSQL bigint identity; the pg
 * driver hands int8 back as a string, better-sqlite3 as a number: rows are mapped through
 * String()/Number()). Times are millisecond ISO-8601 text, fixed width, so text order is time
 * order on both databases (docs/adr/0001-portable-schema.md). Booleans are 0/1 integers.
 */
type Id = Generated<number | string>;
type Ref = number | string;
type Int = number | string;

export interface UsersTable {
  id: Id;
  email: string;
  name: string;
  is_admin: number;
  created_at: string;
  last_active_at: string;
}

export interface AccessTokensTable {
  id: Id;
  user_id: Ref;
  token_hash: string;
  scope: string;
  created_at: string;
  revoked_at: string | null;
  /** Migration 0008: the OAuth client that obtained the token (none for admin-made tokens). */
  client_ref: Ref | null;
  expires_at: string | null;
}

export interface ProjectsTable {
  id: Id;
  owner_id: Ref;
  name: string;
  description: string;
  created_at: string;
  modified_at: string;
  total_size: Generated<Int>;
}

export interface AppSessionsTable {
  id: Id;
  owner_id: Ref;
  application_id: string;
  name: string;
  status: string;
  status_summary: string;
  project_id: Ref | null;
  created_at: string;
  modified_at: string;
  completed_at: string | null;
  total_size: Generated<Int>;
}

export interface AppResultsTable {
  id: Id;
  project_id: Ref;
  owner_id: Ref;
  appsession_id: Ref;
  name: string;
  description: string;
  genome_id: Ref | null;
  refs: string | null;
  created_at: string;
  modified_at: string;
  total_size: Generated<Int>;
}

export interface SamplesTable {
  id: Id;
  project_id: Ref;
  owner_id: Ref;
  appsession_id: Ref;
  run_id: Ref | null;
  name: string;
  description: string;
  sample_id: string;
  sample_number: number | null;
  experiment_name: string | null;
  num_reads_raw: Int | null;
  num_reads_pf: Int | null;
  read1: number | null;
  read2: number | null;
  is_paired_end: number | null;
  genome_id: Ref | null;
  refs: string | null;
  created_at: string;
  modified_at: string;
  total_size: Generated<Int>;
}

export interface RunsTable {
  id: Id;
  owner_id: Ref;
  name: string;
  experiment_name: string;
  number: number | null;
  status: string;
  platform_name: string | null;
  instrument_name: string | null;
  instrument_type: string | null;
  instrument_serial_number: string | null;
  flowcell_barcode: string | null;
  reagent_barcode: string | null;
  workflow: string | null;
  num_cycles_read1: number | null;
  num_cycles_read2: number | null;
  num_cycles_index1: number | null;
  num_cycles_index2: number | null;
  created_at: string;
  modified_at: string;
  upload_started_at: string | null;
  upload_completed_at: string | null;
  total_size: Int;
  details: string | null;
  sequencing_stats: string | null;
}

export interface GenomesTable {
  id: Ref;
  species_name: string;
  source: string;
  build: string;
  display_name: string;
  sequence_status: string | null;
  sequence_key: string | null;
  sequence_message: string | null;
}

export interface AppSessionLogsTable {
  appsession_id: Ref;
  seq: number;
  text: string;
}

export interface FilesTable {
  id: Id;
  parent_kind: string;
  parent_id: Ref;
  owner_id: Ref;
  project_id: Ref | null;
  name: string;
  directory: string;
  path: string;
  content_type: string;
  size: Generated<Int>;
  upload_status: string;
  multipart: number;
  md5: string | null;
  sha256: string | null;
  crc32: string | null;
  storage_key: string | null;
  created_at: string;
  modified_at: string;
  index_status: string | null;
  index_message: string | null;
}

export interface FilePartsTable {
  file_id: Ref;
  number: number;
  size: Int;
  md5: string;
  storage_key: string;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface PropertiesTable {
  id: Id;
  resource_kind: string;
  resource_id: Ref;
  name: string;
  type: string;
  description: string;
  value: string;
  items_count: number;
  modified_by: Ref;
  created_at: string;
  modified_at: string;
}

/** Migration 0005 (search): one row per searchable resource; FTS5 / tsvector beside it. */
export interface SearchIndexTable {
  id: Id;
  kind: string;
  resource_id: Ref;
  owner_id: Ref;
  project_id: Ref | null;
  subject_kind: string;
  subject_id: Ref;
  name: string;
  name_lc: string;
  name_words: string;
  body: string;
  created_at: string;
}

/** Migration 0012 (PostgreSQL only): each distinct word of a search_index row, for one-word searches. */
export interface SearchWordsTable {
  word: string;
  id: Ref;
  project_id: Ref | null;
  run_id: Ref | null;
  kind: string;
}

/** Migration 0006: matchable values of properties, for exact-match list filters. */
export interface PropertyValuesTable {
  resource_kind: string;
  resource_id: Ref;
  name: string;
  value_hash: string;
}

/** Migration 0008 (OAuth2 server, web sign-in). */
export interface OAuthClientsTable {
  id: Id;
  client_id: string;
  secret_hash: string;
  name: string;
  redirect_uris: string;
  created_at: string;
}

export interface OAuthCodesTable {
  code_hash: string;
  client_ref: Ref;
  user_id: Ref;
  redirect_uri: string;
  scope: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface OAuthDeviceCodesTable {
  id: Id;
  device_code_hash: string;
  user_code: string;
  client_ref: Ref;
  scope: string;
  status: string;
  user_id: Ref | null;
  interval_s: number;
  last_poll_at: string | null;
  created_at: string;
  expires_at: string;
}

export interface UserPasswordsTable {
  user_id: Ref;
  password_hash: string;
  updated_at: string;
}

export interface WebSessionsTable {
  id_hash: string;
  user_id: Ref;
  created_at: string;
  expires_at: string;
}

/** Migration 0007 (sharing, issue 4). */
export interface SharesTable {
  id: Id;
  resource_kind: string;
  resource_id: Ref;
  user_id: Ref;
  level: string;
  created_at: string;
  modified_at: string;
}

export interface ShareLinksTable {
  id: Id;
  project_id: Ref;
  token_hash: string;
  created_by: Ref;
  label: string;
  created_at: string;
  deactivated_at: string | null;
}

export interface AuditEventsTable {
  id: Id;
  at: string;
  actor_kind: string;
  actor_id: Ref | null;
  action: string;
  target_kind: string;
  target_id: string;
  project_id: Ref | null;
  run_id: Ref | null;
  client_ip: string | null;
  details: string | null;
}

/** Migration 0011: the embedded job queue. */
export interface JobsTable {
  id: Id;
  name: string;
  payload: string;
  state: string;
  singleton_key: string | null;
  attempts: Generated<Int>;
  max_attempts: Int;
  lease_owner: string | null;
  lease_until: string | null;
  heartbeat_at: string | null;
  progress: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Database {
  users: UsersTable;
  access_tokens: AccessTokensTable;
  projects: ProjectsTable;
  appsessions: AppSessionsTable;
  appresults: AppResultsTable;
  samples: SamplesTable;
  runs: RunsTable;
  genomes: GenomesTable;
  appsession_logs: AppSessionLogsTable;
  files: FilesTable;
  file_parts: FilePartsTable;
  settings: SettingsTable;
  properties: PropertiesTable;
  search_index: SearchIndexTable;
  search_words: SearchWordsTable;
  property_values: PropertyValuesTable;
  oauth_clients: OAuthClientsTable;
  oauth_codes: OAuthCodesTable;
  oauth_device_codes: OAuthDeviceCodesTable;
  user_passwords: UserPasswordsTable;
  web_sessions: WebSessionsTable;
  shares: SharesTable;
  share_links: ShareLinksTable;
  audit_events: AuditEventsTable;
  jobs: JobsTable;
}

export type DbKind = 'sqlite' | 'postgres';
