/**
 * A small evaluator of the Istio HTTP routing semantics the sms variant relies on, written from
 * Istio's documentation (istio.io/latest/docs/reference/config/networking/virtual-service/ and
 * …/destination-rule/; concepts/traffic-management "Routing rule precedence"):
 *
 * - the `http` rules of a VirtualService are tried in order and the FIRST whose `match` holds wins;
 *   a rule without `match` matches every request;
 * - `match` is a list of alternatives (OR); inside one HTTPMatchRequest every condition must hold (AND);
 * - `headers.<name>` is a StringMatch on that header (names lower-case): `exact`, `prefix`, or
 *   `regex` — RE2 syntax, matched against the WHOLE value (Envoy's safe_regex is a full match);
 *   a request without the header does not match;
 * - `sourceLabels`: every listed label must be on the calling workload (a gateway has none of ours);
 * - `route`: destinations with `weight` = relative share of requests (one destination: all of them);
 * - `mirror` (+ `mirrorPercentage.value`, percent, 100 when absent): a copy of the request goes to
 *   the mirror destination too; its answer is discarded;
 * - `destination.subset` names a DestinationRule subset of that host: pods carrying its `labels`.
 *   An unknown subset is a configuration error (Envoy answers 503 "no healthy upstream").
 */

/** The parts of a Kubernetes object the evaluator reads. */
export interface IstioObject {
  metadata?: { name?: string; namespace?: string };
  spec: Record<string, unknown>;
}

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}
interface MatchRequest {
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  sourceLabels?: Record<string, string>;
}
interface Destination {
  host: string;
  subset?: string;
}
interface RouteDestination {
  destination: Destination;
  weight?: number;
  headers?: { response?: { set?: Record<string, string> } };
}
interface HttpRoute {
  name?: string;
  match?: MatchRequest[];
  route: RouteDestination[];
  mirror?: Destination;
  mirrorPercentage?: { value?: number };
}

export interface MeshRequest {
  /** The host the caller asked for (Host header at the gateway, the Service FQDN inside the mesh). */
  host: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Labels of the calling pod; undefined for the ingress gateway. */
  sourceLabels?: Record<string, string>;
}

export interface Routed {
  /** Name of the rule that matched. */
  rule: string;
  destination: Destination;
  /** Labels a pod must carry to receive the request (the subset's, or none for the whole Service). */
  podLabels: Record<string, string>;
  responseHeaders: Record<string, string>;
  /** Where the copy went, when this request was mirrored. */
  mirror?: { destination: Destination; podLabels: Record<string, string> };
}

/** A seeded random source (mulberry32), so a simulation is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const compiled = new Map<string, RegExp>();

export function stringMatches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  // RE2 and JavaScript agree on the constructs our rules use; the anchors make it a full match.
  if (m.regex !== undefined) {
    let re = compiled.get(m.regex);
    if (!re) compiled.set(m.regex, (re = new RegExp(`^(?:${m.regex})$`)));
    return re.test(value);
  }
  throw new Error(`empty StringMatch ${JSON.stringify(m)}`);
}

function matchHolds(m: MatchRequest, req: MeshRequest): boolean {
  if (m.uri && !stringMatches(m.uri, req.path)) return false;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    if (name !== name.toLowerCase()) throw new Error(`header match key ${name} is not lower-case (Istio requires it)`);
    if (!stringMatches(sm, req.headers[name])) return false;
  }
  if (m.sourceLabels) {
    const src = req.sourceLabels ?? {};
    if (!Object.entries(m.sourceLabels).every(([k, v]) => src[k] === v)) return false;
  }
  return true;
}

export class MeshRouter {
  constructor(
    private readonly virtualServices: IstioObject[],
    private readonly destinationRules: IstioObject[],
    private readonly random: () => number,
  ) {}

  private subsetLabels(d: Destination): Record<string, string> {
    if (d.subset === undefined) return {};
    const dr = this.destinationRules.find((r) => r.spec.host === d.host);
    const subset = (dr?.spec.subsets as { name: string; labels: Record<string, string> }[] | undefined)?.find((s) => s.name === d.subset);
    if (!subset) throw new Error(`subset ${d.subset} of ${d.host} is not defined by any DestinationRule (Envoy: 503 no healthy upstream)`);
    return subset.labels;
  }

  /** Routes one request: which rule, which destination (by weight), and whether it is mirrored. */
  route(req: MeshRequest): Routed {
    const vs = this.virtualServices.find((v) => (v.spec.hosts as string[]).some((h) => h === req.host || h === "*"));
    if (!vs) throw new Error(`no VirtualService for host ${req.host}`);
    const rules = vs.spec.http as HttpRoute[];
    const index = rules.findIndex((r) => r.match === undefined || r.match.length === 0 || r.match.some((m) => matchHolds(m, req)));
    if (index < 0) throw new Error(`no rule of ${vs.metadata?.name} matches ${JSON.stringify(req)} (Envoy: 404)`);
    const rule = rules[index] as HttpRoute;
    const total = rule.route.reduce((s, d) => s + (rule.route.length === 1 ? 1 : (d.weight ?? 0)), 0);
    if (total <= 0) throw new Error(`rule ${rule.name ?? index} has no weight to route by`);
    let pick = this.random() * total;
    let chosen = rule.route[rule.route.length - 1] as RouteDestination;
    for (const d of rule.route) {
      pick -= rule.route.length === 1 ? 1 : (d.weight ?? 0);
      if (pick < 0) {
        chosen = d;
        break;
      }
    }
    const routed: Routed = {
      rule: rule.name ?? String(index),
      destination: chosen.destination,
      podLabels: this.subsetLabels(chosen.destination),
      responseHeaders: { ...(chosen.headers?.response?.set ?? {}) },
    };
    if (rule.mirror) {
      const percent = rule.mirrorPercentage?.value ?? 100;
      if (this.random() * 100 < percent) routed.mirror = { destination: rule.mirror, podLabels: this.subsetLabels(rule.mirror) };
    }
    return routed;
  }
}

/** A browser's cookie jar for one host: `Set-Cookie` in, `Cookie` out (attributes other than Max-Age ignored). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.cookies.set(k, v);
  }

  store(setCookie: string | string[] | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const [pair, ...attributes] = line.split(";");
      const eq = (pair ?? "").indexOf("=");
      if (eq <= 0) continue;
      const name = (pair ?? "").slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, (pair ?? "").slice(eq + 1).trim());
    }
  }

  /** The `Cookie` header a browser sends, or undefined with an empty jar. */
  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}
