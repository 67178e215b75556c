import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringInfo } from "./contracts";

export interface ServiceMonitorArgs {
  /** `metadata.name` of the ServiceMonitor. */
  name: string;
  namespace: pulumi.Input<string>;
  /** The ServiceMonitor's own labels; the operator's selector labels are added. */
  labels: Record<string, string>;
  /** Labels of the Service to scrape. */
  selector: Record<string, string>;
  /** Named Service port that serves `/metrics`. */
  port: string;
  monitoring: MonitoringInfo;
  /** The Service it scrapes. */
  service: pulumi.Resource;
  /** Anything else it must wait for (e.g. the app's namespace). */
  dependsOn?: pulumi.Resource[];
  /** Pod labels copied onto every scraped series (e.g. `version`, so dashboards can compare versions). */
  podTargetLabels?: string[];
}

/** A ServiceMonitor the Prometheus operator picks up, created after its CRD and the Service. */
export function serviceMonitor(resourceName: string, args: ServiceMonitorArgs, parent: pulumi.Resource): k8s.apiextensions.CustomResource {
  const spec: IServiceMonitor["spec"] = {
    selector: { matchLabels: args.selector },
    endpoints: [{ port: args.port, path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
    ...(args.podTargetLabels && args.podTargetLabels.length > 0 ? { podTargetLabels: args.podTargetLabels } : {}),
  };
  return new k8s.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: args.name, namespace: args.namespace, labels: { ...args.labels, ...args.monitoring.selectorLabels } },
      spec: { ...spec, namespaceSelector: { matchNames: [args.namespace] } },
    },
    { parent, dependsOn: [...(args.dependsOn ?? []), args.monitoring.crdsReady, args.service] },
  );
}
