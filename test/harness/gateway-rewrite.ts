/**
 * Where an entry point sends a request and what path the app then sees, written from the two
 * tools' own rules at the pinned versions (not from our constants):
 *
 * ingress-nginx controller v1.15.1 (chart 4.15.1), internal/ingress/controller/template/template.go
 * and controller.go:
 * - the locations of one server (host) come from every Ingress with that host, sorted by path
 *   (descending), then by path length (descending, stable);
 * - when ANY location of the server has a rewrite-target (≠ its path) or use-regex, EVERY location
 *   is a case-insensitive regex location `~* "^<path>"` (enforceRegexModifier / buildLocation);
 *   nginx tries regex locations in order and the first that matches wins;
 * - a location with rewrite-target runs `rewrite "(?i)<path>" <target> break;` (buildProxyPass):
 *   the whole URI becomes the target with `$n` = the regex's n-th capture group
 *   (docs/examples/rewrite: `/something(/|$)(.*)` + `/$2`: `/something` → `/`, `/something/new` → `/new`).
 *
 * Istio 1.29.6, pilot/pkg/networking/core/route/route.go: a VirtualService's `rewrite.uri` is
 * Envoy's `prefix_rewrite` (Gateway-API semantics aside), which swaps "the matched prefix (or
 * path)" for the value: a `prefix` match replaces just the prefix, an `exact` match the whole path.
 * Rules are tried in order, the first whose match holds wins. The gateway's Envoy picks ONE virtual
 * host per request, the most specific domain first (exact, then `*.suffix`, then `*`); routes of
 * VirtualServices for other hosts are never consulted.
 */
import { stringMatches, type StringMatch } from "./istio-routing";

/** What the tool decided: the backend Service, and the path the app receives. */
export interface Forwarded {
  service: string;
  path: string;
}

interface IngressPath { path: string; pathType?: string; backend: { service: { name: string } } }
interface IngressObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { rules: { host?: string; http: { paths: IngressPath[] } }[] };
}

/** ingress-nginx's routing of `path` on `host` over the given Ingresses; undefined = no location (404). */
export function nginxForward(ingresses: IngressObject[], host: string, path: string): Forwarded | undefined {
  const locations: { path: string; service: string; target?: string; useRegex: boolean }[] = [];
  for (const ing of ingresses) {
    const a = ing.metadata.annotations ?? {};
    for (const rule of ing.spec.rules) {
      if ((rule.host ?? "") !== host) continue;
      for (const p of rule.http.paths) {
        locations.push({ path: p.path, service: p.backend.service.name, target: a["nginx.ingress.kubernetes.io/rewrite-target"], useRegex: a["nginx.ingress.kubernetes.io/use-regex"] === "true" });
      }
    }
  }
  locations.sort((x, y) => (x.path > y.path ? -1 : x.path < y.path ? 1 : 0));
  locations.sort((x, y) => y.path.length - x.path.length);
  const enforceRegex = locations.some((l) => (l.target !== undefined && l.target !== "" && l.target !== l.path) || l.useRegex);
  if (!enforceRegex) throw new Error("this model covers regex servers only (every shop Ingress strips its prefix)");
  const loc = locations.find((l) => new RegExp(`^${l.path}`, "i").test(path));
  if (!loc) return undefined;
  if (!loc.target || loc.target === loc.path) return { service: loc.service, path };
  const m = new RegExp(loc.path, "i").exec(path);
  if (!m) return { service: loc.service, path }; // rewrite does not apply; nginx keeps the URI
  const rewritten = loc.target.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? "");
  return { service: loc.service, path: rewritten };
}

interface VirtualServiceObject {
  spec: { hosts: string[]; gateways?: string[]; http: { match?: { uri?: StringMatch }[]; rewrite?: { uri?: string }; route: { destination: { host: string } }[] }[] };
}

/** The Istio gateway's routing of `path` on `host` over the given VirtualServices (merged in order); undefined = 404. */
export function istioForward(virtualServices: VirtualServiceObject[], host: string, path: string): Forwarded | undefined {
  const suffix = (h: string) => h.startsWith("*.") && h !== "*" && host.endsWith(h.slice(1));
  const tiers = [(h: string) => h === host, suffix, (h: string) => h === "*"];
  const tier = tiers.find((t) => virtualServices.some((vs) => vs.spec.hosts.some(t)));
  for (const vs of virtualServices) {
    if (!tier || !vs.spec.hosts.some(tier)) continue;
    for (const rule of vs.spec.http) {
      const hit = (rule.match ?? [{}]).find((m) => m.uri === undefined || stringMatches(m.uri, path));
      if (!hit) continue;
      const service = rule.route[0]!.destination.host;
      const to = rule.rewrite?.uri;
      if (to === undefined) return { service, path };
      if (hit.uri?.prefix !== undefined) return { service, path: to + path.slice(hit.uri.prefix.length) };
      if (hit.uri?.exact !== undefined) return { service, path: to };
      throw new Error(`rewrite after a ${JSON.stringify(hit.uri)} match is not modelled`);
    }
  }
  return undefined;
}
