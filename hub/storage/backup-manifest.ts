/**
 * The manifest a backup of the data dir carries (written by hub/tools/backup,
 * read by the admin's data status in hub/storage/data-status.ts): here, below
 * both, so the running hub reads it without importing a tool.
 */
export const MANIFEST = 'backup-manifest.json';

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: number;
  createdAt: string;
  source: string;
  /** Optimistic snapshot attempts it took (1 = nothing changed during the copy). */
  attempts: number;
  journal: { files: number; lines: number; lastHash: string | null };
  files: ManifestFile[];
}

