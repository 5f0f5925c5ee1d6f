import { join } from 'node:path';
import { DirectoryBundleStore, type BundleStore } from '../export/bundle-store';

/**
 * Cold storage for archive segments: each segment is a bundle (docs/retention.md) under its own
 * name. The built-in sink is a directory; an object store (S3 with Object Lock, GCS with a
 * retention policy) implements `segment` with a BundleStore that writes objects under a prefix,
 * and its own lifecycle rules decide when old segments are deleted.
 */
export interface ArchiveSink {
  /** Where segments go, for reports and the archive event (a path or URL, no credentials). */
  readonly location: string;
  segment(name: string): BundleStore;
}

/** Segments as sub-directories of `dir` (default `AUDIT_ARCHIVE_DIR`, else `.audit/archive`). */
export class DirectoryArchiveSink implements ArchiveSink {
  readonly location: string;

  constructor(private readonly dir: string) {
    this.location = new DirectoryBundleStore(dir).location;
  }

  segment(name: string): DirectoryBundleStore {
    return new DirectoryBundleStore(join(this.dir, name));
  }
}
