/**
 * The manifest repository: where protect() stores each C2PA manifest store together with its soft
 * bindings, and where inspect() looks a watermark id up when the manifest was stripped from a file.
 */

/**
 * One soft binding as it appears in a `c2pa.soft-binding` assertion and in the Soft Binding
 * Resolution API: the algorithm identifier and the base64-encoded binding value.
 */
export interface SoftBinding {
  readonly alg: string;
  /** Standard base64 with padding (other spellings are normalised on the way in). */
  readonly value: string;
}

/** What a caller gives to {@link ManifestRepository.put}. */
export interface NewManifestRecord {
  /** The active manifest label, `urn:c2pa:…` or `urn:uuid:…`. */
  readonly manifestId: string;
  /** The `application/c2pa` JUMBF manifest store bytes, stored as they are. */
  readonly manifestStore: Uint8Array;
  /** The soft bindings that resolve to this manifest (may be empty). */
  readonly bindings: readonly SoftBinding[];
  /** MIME type of the asset the manifest was made for, e.g. `image/jpeg`. */
  readonly format?: string;
}

/** A stored manifest. */
export interface ManifestRecord extends NewManifestRecord {
  /**
   * When the repository stored it. Absent only for records fetched from a remote resolver that
   * does not say (the resolution API has no field for it; provmark's server sends Last-Modified).
   */
  readonly createdAt?: Date;
}

/** Result of {@link ManifestRepository.put}. */
export interface PutResult {
  /** False when the same manifest (same id, bytes, bindings and format) was already stored. */
  readonly created: boolean;
  readonly record: ManifestRecord;
}

/** One answer of a binding lookup, shaped like the resolution API's `matches[]` items. */
export interface BindingMatch {
  readonly manifestId: string;
  /** A resolver that holds the manifest, when it is not the one asked (remote resolvers only). */
  readonly endpoint?: string;
  /** 0–100 strength of the match when the resolver gives one (exact lookups give none). */
  readonly similarityScore?: number;
}

export interface FindByBindingOptions {
  /** At most this many matches, newest first (default 10, as in the resolution API; 1–1000). */
  readonly maxResults?: number;
}

/** A stored manifest without its bytes, as listed by {@link ManifestRepository.list}. */
export interface StoredManifestSummary {
  readonly manifestId: string;
  readonly bindings: readonly SoftBinding[];
  readonly format?: string;
  readonly createdAt: Date;
  /** Size of the manifest store in bytes. */
  readonly size: number;
}

/**
 * @deprecated Renamed {@link StoredManifestSummary} (verify's manifest summary had the same name; it is
 * now `ManifestContentSummary`). This alias will be removed in a future major version.
 */
export type ManifestSummary = StoredManifestSummary;

export interface ListOptions {
  /** Page size, 1–1000 (default 100). */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly cursor?: string;
}

export interface ListPage {
  /** Oldest first. */
  readonly items: readonly StoredManifestSummary[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  readonly next?: string;
}

/**
 * A store of C2PA manifests indexed by their soft bindings.
 *
 * Semantics shared by every implementation (and checked by one contract test suite):
 * - `put` is atomic: the manifest and all its bindings are stored, or nothing is.
 * - `put` is idempotent: putting a manifest id again with the same bytes, bindings and format
 *   resolves `{ created: false }` with the stored record; the same id with different content is
 *   refused with `ERR_CONFLICT` (a manifest label is unique, so that is a bug upstream).
 * - One binding may resolve to several manifests (a watermarked asset re-signed after an edit
 *   keeps its watermark); `findByBinding` answers all of them, newest first.
 * - A lookup that finds nothing is data (`[]` / `undefined`), never an error.
 */
export interface ManifestRepository {
  /** Store a manifest and its bindings (atomic, idempotent). */
  put(record: NewManifestRecord): Promise<PutResult>;
  /** The stored manifest, or undefined when there is none with that id. */
  getManifest(manifestId: string): Promise<ManifestRecord | undefined>;
  /** Manifests bound to this soft binding, newest first. */
  findByBinding(alg: string, value: string, options?: FindByBindingOptions): Promise<BindingMatch[]>;
  /** Page through the stored manifests, oldest first. */
  list(options?: ListOptions): Promise<ListPage>;
  /** Remove a manifest and its bindings; false when there was none. */
  delete(manifestId: string): Promise<boolean>;
  /** Release connections and file handles. Further calls fail. */
  close(): Promise<void>;
}
