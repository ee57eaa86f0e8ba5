/**
 * `provmark/repository`: where manifests are stored and looked up by soft binding.
 * Database drivers load only when a repository of that kind is opened.
 */
export type {
  BindingMatch,
  FindByBindingOptions,
  ListOptions,
  ListPage,
  ManifestRecord,
  ManifestRepository,
  ManifestSummary,
  NewManifestRecord,
  PutResult,
  SoftBinding,
  StoredManifestSummary,
} from './types.js';
export { openRepository, type OpenRepositoryOptions } from './open.js';
export {
  defaultRepositoryPath,
  openSqliteRepository,
  type SqliteRepository,
  type SqliteRepositoryOptions,
} from './sqlite.js';
export {
  openPostgresRepository,
  type PostgresRepository,
  type PostgresRepositoryOptions,
} from './postgres.js';
export {
  createHttpRepository,
  type FindByContentOptions,
  type HttpRepository,
  type HttpRepositoryOptions,
} from './http.js';
export { isManifestId, normalizeBindingValue } from './record.js';
export { SCHEMA_VERSION } from './schema.js';
