import fs from "node:fs/promises";
import path from "node:path";
import lockfile from "proper-lockfile";
import { isProcessAlive } from "../storage/isProcessAlive.js";
import { StartupError, systemCodeOf } from "./StartupError.js";

/** Another live process holds the data directory. */
export class DataDirInUseError extends StartupError {
  override readonly name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    /** The holder's process id, when it has written it yet. */
    readonly pid: number | undefined,
  ) {
    super(
      "DATA_DIR",
      `DATA_DIR ${dataDir} is in use by another upstage process (PID ${pid ?? "unknown"}): ` +
        "stop it, or give this one a DATA_DIR of its own.",
    );
  }
}

export interface DataDirLock {
  /** Where a running server answers the command-line tool (see serveOperatorCommands). */
  readonly commandSocket: string;
  release(): Promise<void>;
}

/** The lock's files inside the data directory. */
export function dataDirFiles(dataDir: string) {
  return {
    lock: path.join(dataDir, "upstage.lock"),
    pid: path.join(dataDir, "upstage.pid"),
    commandSocket: path.join(dataDir, "upstage.sock"),
  };
}

/**
 * Holds an exclusive lock on `dataDir` for the life of the process
 * (proper-lockfile: an atomic mkdir whose mtime the holder keeps fresh). The
 * holder's PID is written beside it, so a lock whose holder has died (a
 * SIGKILL) is taken over at once instead of after the staleness period; a
 * holder that hangs is taken over once its lock is `staleMs` (10 s) old.
 * @throws DataDirInUseError when a live process holds it.
 */
export async function lockDataDir(
  dataDir: string,
  {
    staleMs = 10_000, // 10 s: a lock that old, whose holder hangs, is taken over
    ...options
  }: { staleMs?: number; onCompromised?: (error: Error) => void } = {},
): Promise<DataDirLock> {
  const files = dataDirFiles(dataDir);
  try {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.access(dataDir, fs.constants.W_OK);
  } catch (error) {
    const code = systemCodeOf(error);
    const why = code === "EEXIST" || code === "ENOTDIR" ? "is a file, not a directory" : `is not a writable directory (${code})`;
    throw new StartupError("DATA_DIR", `DATA_DIR ${dataDir} ${why}: point DATA_DIR at a directory this user may write.`, {
      cause: error,
    });
  }
  const take = () =>
    lockfile.lock(dataDir, {
      lockfilePath: files.lock,
      realpath: false,
      stale: staleMs,
      retries: 0,
      onCompromised:
        options.onCompromised ?? ((error) => console.error(`upstage: the lock on DATA_DIR ${dataDir} was lost: ${error.message}`)),
    });
  let unlock: () => Promise<void>;
  try {
    unlock = await take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    const pid = await readPid(files.pid);
    if (pid === undefined || isProcessAlive(pid)) throw new DataDirInUseError(dataDir, pid);
    // Its holder died without releasing it.
    await fs.rm(files.lock, { recursive: true, force: true });
    try {
      unlock = await take();
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === "ELOCKED") throw new DataDirInUseError(dataDir, await readPid(files.pid));
      throw again;
    }
  }
  await fs.writeFile(files.pid, `${process.pid}\n`);
  return {
    commandSocket: files.commandSocket,
    async release() {
      await fs.rm(files.pid, { force: true });
      await unlock().catch(() => {});
    },
  };
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
