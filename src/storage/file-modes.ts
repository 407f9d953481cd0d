/**
 * Owner-only modes for what Baton keeps on disk (issue 10, L5): the data folder 0700, the SQLite database, its
 * -wal and -shm files and master.key 0600, whatever the process umask, also for files an earlier version left
 * readable by group and others.
 */
import fs from 'node:fs';

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and missing parents) owner-only, and makes an existing one owner-only. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((fs.statSync(dir).mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes an existing file owner-only; a file that does not exist is left alone. */
export function restrictFile(file: string): void {
  try {
    if ((fs.statSync(file).mode & 0o777) !== PRIVATE_FILE_MODE) fs.chmodSync(file, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates the file owner-only if it does not exist (empty), and makes it owner-only if it does. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  restrictFile(file);
}
