import { randomBytes } from "node:crypto";
import type { ObjectId } from "mongodb";

/** The seed's document: `{type: "write", index: i, payload: <512 random [A-Za-z0-9]>, timestamp}`. */
export interface RecordDoc {
  _id?: ObjectId;
  type: "write";
  index: number;
  payload: string;
  timestamp: Date;
}

export const RECORDS_COLLECTION = "records";
export const COUNTERS_COLLECTION = "counters";
/** The counter document that makes `/api/stats` exact without counting the collection. */
export const RECORDS_COUNTER_ID = "api_records";
export const DOCS_PER_REQUEST = 5;
const PAYLOAD_LENGTH = 512;

const ALPHABET = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "latin1");

/** 62 letters; bytes ≥ 248 (= 4 × 62) are skipped so every letter is equally likely. */
export function randomPayload(length = PAYLOAD_LENGTH): string {
  const out = Buffer.allocUnsafe(length);
  let n = 0;
  while (n < length) {
    for (const b of randomBytes(length - n + 16)) {
      if (b < 248) out[n++] = ALPHABET[b % 62] as number;
      if (n === length) break;
    }
  }
  return out.toString("latin1");
}

/** The five documents one `/api/data` request writes. */
export function newDocuments(now = new Date()): RecordDoc[] {
  return Array.from({ length: DOCS_PER_REQUEST }, (_, index) => ({ type: "write", index, payload: randomPayload(), timestamp: now }));
}
