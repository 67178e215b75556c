/**
 * The third-party Helm charts of the platform, pinned to exact versions in one place.
 *
 * Each version was read from the chart's own repository at the release tag, and the value keys
 * we set are checked against that tag's values.yaml by test/helm-values.test.ts (key lists in
 * test/fixtures/chart-values/<chart>-<version>.keys.txt). Bumping a version means regenerating
 * that list from the new tag with scripts/chart-keys.ts (docs/operations.md, "Upgrading a pinned
 * chart"), not just editing the number here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A chart in a Helm repository, at one exact version. */
export interface ChartRef {
  /** Chart name in the repository. */
  chart: string;
  /** Exact chart version (never a range). */
  version: string;
  /** Helm repository URL (https). */
  repo: string;
}

const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";
/** Istio publishes every chart of a release under the release's version (tag 1.29.6). */
const ISTIO_VERSION = "1.29.6";

export const CHARTS = {
  /**
   * kubernetes/ingress-nginx tag helm-chart-4.15.1 (controller v1.15.1, 2026-03-19): the last
   * release before the project was retired in March 2026. There will be no further fixes.
   */
  ingressNginx: { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" },
  /** istio/istio manifests/charts/base: the CRDs and the default validating webhook. */
  istioBase: { chart: "base", version: ISTIO_VERSION, repo: ISTIO_REPO },
  /** istio/istio manifests/charts/istio-cni: the CNI node agent that replaces istio-init. */
  istioCni: { chart: "cni", version: ISTIO_VERSION, repo: ISTIO_REPO },
  /** istio/istio manifests/charts/istio-control/istio-discovery: istiod. */
  istiod: { chart: "istiod", version: ISTIO_VERSION, repo: ISTIO_REPO },
  /** istio/istio manifests/charts/gateway: an Envoy ingress gateway (injected by istiod). */
  istioGateway: { chart: "gateway", version: ISTIO_VERSION, repo: ISTIO_REPO },
  /**
   * prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1), with
   * grafana 12.11.1 (grafana-community/helm-charts), kube-state-metrics 8.4.0 and
   * prometheus-node-exporter 4.56.1 as subcharts.
   */
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
  /**
   * fluxcd/flagger tag v1.44.0 (2026-07-14), charts/flagger: the progressive-delivery operator of
   * `apps.sms.rollout: flagger`. 1.43 added Istio's `analysis.sessionAffinity.primaryCookieName`;
   * the fields we set on Canary and MetricTemplate are checked against this tag's CRD
   * (test/fixtures/flagger/crd-1.44.0.yaml). The chart installs its CRDs from `crds/`.
   */
  flagger: { chart: "flagger", version: "1.44.0", repo: "https://flagger.app" },
} as const satisfies Record<string, ChartRef>;

export interface ReleaseArgs {
  /** Helm release name: fixed, so object names inside the chart are predictable. */
  releaseName: string;
  namespace: pulumi.Input<string>;
  values: pulumi.Input<Record<string, unknown>>;
  /** Seconds Helm waits for the release's workloads to become ready. */
  timeout?: number;
}

/**
 * A `helm.v3.Release` of a pinned chart. Release (not helm.v4.Chart) because it previews with an
 * unknown kubeconfig, runs Helm hooks (admission-webhook certificate jobs) and is one resource to
 * assert on.
 */
export function helmRelease(name: string, ref: ChartRef, args: ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    name,
    {
      name: args.releaseName,
      chart: ref.chart,
      version: ref.version,
      repositoryOpts: { repo: ref.repo },
      namespace: args.namespace,
      // The namespaces are ours (with Pod Security labels and NetworkPolicies), never Helm's.
      createNamespace: false,
      values: args.values,
      timeout: args.timeout ?? 600,
      cleanupOnFail: true,
      maxHistory: 10,
    },
    opts,
  );
}
