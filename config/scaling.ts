import { z } from "zod";

/** HorizontalPodAutoscaler bounds. */
export const autoscaleSchema = z.strictObject({
  min: z.number().int().min(1).max(100),
  max: z.number().int().min(1).max(100),
  /** Target average CPU utilisation, percent of the request. */
  cpuPercent: z.number().int().min(10).max(100).default(70),
});
export type AutoscaleConfig = z.infer<typeof autoscaleSchema>;
