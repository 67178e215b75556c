import { z } from "zod";
import { clusterSchema } from "./cluster";
import { ingressSchema, istioSchema, monitoringSchema, storageSchema } from "./platform";
import { mongoSchema, redisSchema } from "./data";
import { appsSchema } from "./apps";

/** Every `statefleet:*` key of a stack. Unknown keys anywhere are errors, never ignored. */
export const stackSchema = z.strictObject({
  cluster: clusterSchema,
  ingress: ingressSchema,
  istio: istioSchema,
  storage: storageSchema,
  redis: redisSchema,
  mongo: mongoSchema,
  monitoring: monitoringSchema,
  apps: appsSchema,
});

/** The config as parsed, before cross-field checks and normalisation. */
export type ParsedStack = z.infer<typeof stackSchema>;
/** Top-level keys, as they appear after `statefleet:` in `Pulumi.<stack>.yaml`. */
export const TOP_LEVEL_KEYS = Object.keys(stackSchema.shape) as (keyof ParsedStack)[];
