import type { FastifyReply } from "fastify";
import { StoreUnavailableError } from "../../state/errors";
import { BadParameter } from "./money";

/**
 * A business answer other than success: unknown id (404), not enough stock or credit, paid
 * already, not allowed in this state (409). Always a 4xx with `{"error": "<reason>"}`.
 */
export class ShopError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "ShopError";
  }
}

/** Another shop service did not answer (after retries and failover): the request gets a 503. */
export class DownstreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownstreamError";
  }
}

/** Answers `{"error": …}` with the status each failure deserves; never a 5xx for a business failure. */
export function sendFailure(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof BadParameter) return reply.code(400).send({ error: err.message });
  if (err instanceof ShopError) return reply.code(err.status).send({ error: err.message });
  if (err instanceof StoreUnavailableError || err instanceof DownstreamError) return reply.code(503).send({ error: err.message });
  throw err;
}

/** Runs a route's work and maps its failures to answers (unknown errors go to the shared 500 handler). */
export async function answer(reply: FastifyReply, work: () => Promise<unknown>): Promise<FastifyReply> {
  try {
    const body = await work();
    return reply.header("cache-control", "no-store").send(body);
  } catch (err) {
    return sendFailure(reply, err);
  }
}
