import { createHash, type Hash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import { notAnImage } from "../errors/notAnImage.js";
import { SNIFF_BYTES, sniffFormat } from "./sniffFormat.js";

/** What a resumable upload's bytes have shown so far: the running hash and the head the sniff reads. */
interface Inspection {
  readonly hash: Hash;
  /** Bytes hashed: the upload's offset when the state is current. */
  hashedUpTo: number;
  head: Buffer;
  format: string | undefined;
}

/** The stored bytes of an upload from its start, for rebuilding a lost state (after a restart, or on another instance). */
export type ReadStored = () => Readable;

/**
 * The `sniff` and `hash` handlers for an upload that arrives in several
 * requests (tus PATCHes). The sniff decides on the first SNIFF_BYTES, in
 * whichever request carries them; the sha256 runs across requests. The state
 * is kept in memory per upload; when it is missing or behind (a restart, a
 * resume on another instance), it is rebuilt by reading what is stored.
 */
export function createResumableInspector() {
  const states = new Map<string, Inspection>();

  function absorb(state: Inspection, data: Buffer): void {
    state.hash.update(data);
    state.hashedUpTo += data.length;
    if (state.format === undefined && state.head.length < SNIFF_BYTES) {
      state.head = Buffer.concat([state.head, data.subarray(0, SNIFF_BYTES - state.head.length)]);
      if (state.head.length >= SNIFF_BYTES) decide(state);
    }
  }

  function decide(state: Inspection): void {
    const format = sniffFormat(state.head);
    if (!format) throw notAnImage();
    state.format = format;
  }

  /** The state at `offset`: the one in memory, or one rebuilt from the first `offset` stored bytes. */
  async function stateAt(id: string, offset: number, readStored: ReadStored): Promise<Inspection> {
    const known = states.get(id);
    if (known && known.hashedUpTo === offset) return known;
    const state: Inspection = { hash: createHash("sha256"), hashedUpTo: 0, head: Buffer.alloc(0), format: undefined };
    if (offset > 0) {
      for await (const chunk of readStored() as AsyncIterable<Buffer>) {
        const wanted = chunk.subarray(0, offset - state.hashedUpTo);
        absorb(state, wanted);
        if (state.hashedUpTo >= offset) break;
      }
      if (state.hashedUpTo !== offset) throw new Error(`The store holds ${state.hashedUpTo} bytes of upload ${id}, not the ${offset} its offset says.`);
    }
    states.set(id, state);
    return state;
  }

  return {
    /**
     * A Transform for one request's bytes, written from `offset`: it hashes
     * and sniffs them on their way to the store, tells `onBytes` each
     * chunk's length, and fails with UNSUPPORTED_MEDIA_TYPE at the first
     * bytes that are not an image's.
     */
    async inspect(id: string, offset: number, readStored: ReadStored, onBytes: (length: number) => void): Promise<Transform> {
      const state = await stateAt(id, offset, readStored);
      return new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          try {
            absorb(state, chunk);
            onBytes(chunk.length);
            callback(null, chunk);
          } catch (error) {
            // The hash has taken bytes the store will not: this state is spent.
            states.delete(id);
            callback(error as Error);
          }
        },
      });
    },

    /** Once every byte is stored: the sha256 and the sniffed format (rebuilt from the store if need be), and the state forgotten. */
    async finish(id: string, size: number, readStored: ReadStored): Promise<{ sha256: string; format: string }> {
      const state = await stateAt(id, size, readStored);
      states.delete(id);
      if (state.format === undefined) decide(state);
      return { sha256: state.hash.digest("hex"), format: state.format! };
    },

    forget(id: string): void {
      states.delete(id);
    },
  };
}

export type ResumableInspector = ReturnType<typeof createResumableInspector>;
