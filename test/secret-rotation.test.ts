import { expect } from "chai";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { SECRET_CHECKSUM_ANNOTATION } from "../components/k8s";
import { evaluate, REPO_ROOT } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { MOCK_SECRET_PREFIX } from "./harness/mocks";
import { isSecret, plainStrings } from "./harness/unwrap";

/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs and Helm values are free-form inputs */

const POD_OWNERS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];
const SECRET = "kubernetes:core/v1:Secret";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** The checksum as the program defines it: sha256 over the Secret's data, keys sorted. */
const checksumOf = (data: Record<string, string>) => sha256(JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]])));

/** `<namespace>/<name>` of every Secret a pod template reads (env, envFrom, volumes). */
function secretsRead(r: Res): string[] {
  const ns = r.inputs.metadata.namespace;
  const spec = r.inputs.spec.template.spec;
  const names = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) if (v.secret) names.add(v.secret.secretName);
  return [...names].map((n) => `${ns}/${n}`);
}

const secretsByName = (g: Graph) => new Map(g.ofType(SECRET).map((s) => [`${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`, s]));
const annotation = (r: Res): string | undefined => r.inputs.spec.template.metadata.annotations?.[SECRET_CHECKSUM_ANNOTATION];
const grafanaAnnotation = (g: Graph): string | undefined =>
  g.ofType(RELEASE).find((r) => r.inputs.chart === "kube-prometheus-stack")!.inputs.values.grafana.podAnnotations?.[SECRET_CHECKSUM_ANNOTATION];

describe("secret rotation: pods restart onto a new password", () => {
  let original: Graph;
  let rotated: Graph;
  before(async function () {
    this.timeout(240_000); // two whole-program evaluations
    // dev runs Redis (stats, api cache), MongoDB (api) and Grafana: every generated password.
    original = await evaluate("dev");
    rotated = await evaluate("dev", { passwordSeed: "rotated-" });
  });

  it("every pod template that reads one of our Secrets carries the checksum of exactly those Secrets' data", () => {
    const secrets = secretsByName(original);
    const checked: string[] = [];
    for (const r of POD_OWNERS.flatMap((t) => original.ofType(t))) {
      const read = secretsRead(r).filter((n) => secrets.has(n));
      if (read.length === 0) {
        expect(annotation(r), `${r.name} reads no Secret of ours`).to.equal(undefined);
        continue;
      }
      const want = sha256(read.map((n) => checksumOf(secrets.get(n)!.inputs.stringData)).join("\n"));
      // Order of the inner checksums is the program's; compare against every order of 1–2 Secrets.
      const alt = read.length === 2 ? sha256([...read].reverse().map((n) => checksumOf(secrets.get(n)!.inputs.stringData)).join("\n")) : want;
      expect([want, alt], `${r.name} (${read.join(", ")})`).to.include(annotation(r));
      checked.push(r.name);
    }
    // Redis and MongoDB themselves, stats and logoutput (Redis), api (MongoDB URL and Redis).
    expect(checked).to.include.members(["redis", "mongo", "stats", "api"]);
  });

  it("Grafana's pods carry the checksum of its admin Secret (the chart adds none with existingSecret)", () => {
    const admin = original.ofType(SECRET).find((s) => s.inputs.metadata.name === "grafana-admin")!;
    expect(grafanaAnnotation(original)).to.equal(sha256(checksumOf(admin.inputs.stringData)));
  });

  it("a rotated password changes the annotation of every consumer, so `pulumi up` rolls them all", () => {
    const byName = (g: Graph) => new Map(POD_OWNERS.flatMap((t) => g.ofType(t)).map((r) => [`${r.type}/${r.name}`, annotation(r)]));
    const a = byName(original);
    const b = byName(rotated);
    let consumers = 0;
    for (const [k, v] of a) {
      if (v === undefined) {
        expect(b.get(k), `${k}: no Secret, no annotation`).to.equal(undefined);
        continue;
      }
      consumers++;
      expect(b.get(k), k).to.match(/^[0-9a-f]{64}$/).and.not.equal(v);
    }
    expect(consumers).to.be.greaterThanOrEqual(4);
    expect(grafanaAnnotation(rotated)).to.match(/^[0-9a-f]{64}$/).and.not.equal(grafanaAnnotation(original));
  });

  it("docs/operations.md gives a rotation for every generated password, by the resource names the program uses", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "operations.md"), "utf8");
    const documented = [...new Set([...doc.matchAll(/RandomPassword::([a-z0-9-]+)/g)].map((m) => m[1]))].sort();
    const generated = original.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name).sort();
    expect(documented).to.deep.equal(generated);
    // `urn <type> <name>` greps `:<type>::<name>$`: every URN the procedure looks up is exactly one resource.
    const lookups = [...doc.matchAll(/\$\(urn ([A-Za-z]+) ([a-z0-9-]+)\)/g)];
    expect(lookups.length).to.be.greaterThanOrEqual(5);
    for (const [, type, name] of lookups) {
      const all = [...POD_OWNERS, SECRET, "random:index/randomPassword:RandomPassword"].flatMap((t) => original.ofType(t));
      expect(all.filter((r) => r.type.endsWith(`:${type}`) && r.name === name), `${type} ${name}`).to.have.length(1);
    }
  });

  it("keeps the checksum a Pulumi secret, and no password in plaintext anywhere in a pod owner or the chart values", () => {
    for (const r of [...POD_OWNERS.flatMap((t) => original.ofType(t)), ...original.ofType(RELEASE)]) {
      expect(plainStrings(r.raw).filter((s) => s.includes(MOCK_SECRET_PREFIX)), `${r.name}: plaintext password`).to.deep.equal([]);
      const raw = r.raw as any;
      const template = r.type === RELEASE ? undefined : raw.spec?.template;
      if (template && annotation(r) !== undefined) {
        // Secret at the value or above it: a preview shows [secret], never the checksum.
        const a = template.metadata;
        expect(isSecret(a) || isSecret(a.annotations) || isSecret(a.annotations[SECRET_CHECKSUM_ANNOTATION]), `${r.name}: annotation is secret`).to.equal(true);
        expect(plainStrings(a)).to.not.include(annotation(r));
      }
    }
    const release = original.ofType(RELEASE).find((r) => r.inputs.chart === "kube-prometheus-stack")!;
    expect(plainStrings(release.raw)).to.not.include(grafanaAnnotation(original));
  });
});
