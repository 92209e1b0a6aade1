import { chmod, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The local data folder holds password hashes, sealed SIP secrets, every contact and the
 * platform key: the owner's only. New files are kept so by the process umask (set by
 * scripts/start.ts and inherited by DynamoDB Local's java); this repairs a folder written by
 * an older version (0755 folders, a 0644 database file).
 */
export async function restrictToOwner(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await restrictToOwner(path);
    else if (entry.isFile()) await chmod(path, 0o600);
  }
}
