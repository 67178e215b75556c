import type { ParsedStack } from "./schema";
import type { K3dConfig, AksConfig } from "./cluster";
import type { AutoscaleConfig } from "./apps";
import type { ShopConfig } from "./shop";
import type { SmsConfig } from "./sms";

export type { SmsConfig } from "./sms";
export type { ShopConfig, ShopServiceConfig } from "./shop";

/** Fixed replicas or an HPA, resolved from `replicas` / `autoscale`. */
export type Scaling = { kind: "fixed"; replicas: number } | ({ kind: "autoscale" } & AutoscaleConfig);

/** The cluster block with only the chosen provider's settings. */
export type ClusterConfig = (
  | { provider: "k3d"; name: string; k3d: K3dConfig }
  | { provider: "aks"; name: string; aks: AksConfig }
) & {
  /** The app image's build platform, resolved from `cluster.image.platform` (never `auto`). */
  imagePlatform: string;
};

type WithScaling<T> = Omit<T, "replicas" | "autoscale"> & { scaling: Scaling };

export type StatsConfig = WithScaling<ParsedStack["apps"]["stats"]>;
export type PingPongConfig = WithScaling<ParsedStack["apps"]["pingpong"]>;
export type ApiConfig = WithScaling<ParsedStack["apps"]["api"]>;

/** The whole validated stack config that components are built from. */
export interface StackConfig {
  /** Pulumi stack name (dev, aks, …). */
  stack: string;
  cluster: ClusterConfig;
  ingress: ParsedStack["ingress"];
  istio: ParsedStack["istio"];
  storage: ParsedStack["storage"];
  redis: ParsedStack["redis"];
  mongo: ParsedStack["mongo"];
  monitoring: ParsedStack["monitoring"];
  apps: { stats: StatsConfig; pingpong: PingPongConfig; api: ApiConfig; sms: SmsConfig; shop: ShopConfig };
}
