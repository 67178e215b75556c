import { z } from "zod";
import { BadParameter, MAX_COUNT, MAX_UNITS } from "./money";

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const SCHEMA = z.object({
  user_id: id,
  order_id: id,
  /** Micro-units: the saga passes integers, never a float. */
  amount: z.number().int().min(0).max(MAX_UNITS),
  /** [[item id, quantity], …] */
  items: z.array(z.tuple([id, z.number().int().min(1).max(MAX_COUNT)])).max(10_000),
});

type SagaBody = z.output<typeof SCHEMA>;

/** The JSON body of an internal saga call; a bad one is a 400 naming the field (a bug in the caller). */
export function sagaBody<K extends keyof SagaBody>(body: unknown, keys: K[]): Pick<SagaBody, K> {
  const pick = Object.fromEntries(keys.map((k) => [k, true])) as Record<K, true>;
  const parsed = SCHEMA.pick(pick as never).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadParameter(issue?.path.join(".") || "body", issue?.message ?? "invalid");
  }
  return parsed.data as Pick<SagaBody, K>;
}
