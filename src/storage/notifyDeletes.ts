import type { Storage } from "./Storage.js";

/** Hears of each key deleted through a storage, once the delete is done. */
export interface Deletions {
  /** Calls `listener` with each key deleted from now on; returns the call that stops it. */
  onDeleted(listener: (key: string) => void): () => void;
}

/**
 * The same storage, telling `Deletions` listeners of every key it deletes
 * (the media route forgets what it remembered of them: type, size, bytes).
 */
export function notifyDeletes(storage: Storage): { storage: Storage; deletions: Deletions } {
  const listeners = new Set<(key: string) => void>();
  const notifying: Storage = Object.create(storage, {
    delete: {
      value: async (key: string) => {
        try {
          await storage.delete(key);
        } finally {
          // Even a failed delete may have removed the file.
          for (const listener of listeners) listener(key);
        }
      },
    },
  });
  return {
    storage: notifying,
    deletions: {
      onDeleted(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}
