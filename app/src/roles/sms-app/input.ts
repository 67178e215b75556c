import type { FastifyInstance } from "fastify";

/** Longest message accepted: ten concatenated SMS segments of 160 characters. */
export const MAX_SMS_LENGTH = 1600;
export const GUESSES = ["spam", "ham"] as const;
export type Guess = (typeof GUESSES)[number];

export type ParsedSms =
  | { ok: true; sms: string; guess: Guess | undefined }
  | { ok: false; field: string; error: string };

/**
 * Validates a prediction body (a raw string: JSON is parsed here so that a malformed body is a
 * 400 naming the problem like every other bad input, not the framework's own error).
 */
export function parseSms(raw: unknown, options: { guessRequired: boolean }): ParsedSms {
  if (typeof raw !== "string" || raw.trim() === "") return { ok: false, field: "body", error: 'body: required (allowed: a JSON object like {"sms": "...", "guess": "spam"})' };
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, field: "body", error: 'body: not valid JSON (allowed: a JSON object like {"sms": "...", "guess": "spam"})' };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, field: "body", error: "body: not a JSON object" };
  }
  const b = body as Record<string, unknown>;
  if (!("sms" in b)) return { ok: false, field: "sms", error: "sms: required (allowed: a string of 1 to 1600 characters)" };
  if (typeof b.sms !== "string") return { ok: false, field: "sms", error: `sms: must be a string, got ${b.sms === null ? "null" : typeof b.sms}` };
  if (b.sms.trim() === "") return { ok: false, field: "sms", error: "sms: empty (allowed: a string of 1 to 1600 characters)" };
  // Characters as a person counts them (code points), not UTF-16 units.
  const length = [...b.sms].length;
  if (length > MAX_SMS_LENGTH) return { ok: false, field: "sms", error: `sms: ${length} characters is too long (allowed: at most ${MAX_SMS_LENGTH})` };
  let guess: Guess | undefined;
  if (b.guess !== undefined || options.guessRequired) {
    if (!(GUESSES as readonly unknown[]).includes(b.guess)) {
      return { ok: false, field: "guess", error: `guess: ${b.guess === undefined ? "required" : `invalid value ${JSON.stringify(b.guess)}`} (allowed: spam, ham)` };
    }
    guess = b.guess as Guess;
  }
  return { ok: true, sms: b.sms, guess };
}

/** Bodies reach the routes as raw strings whatever their content type; `parseSms` judges them. */
export function rawBodies(app: FastifyInstance, bodyLimit = 64 * 1024): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, (_request, body, done) => done(null, body));
}
