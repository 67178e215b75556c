/**
 * The roles the program's Deployments run, as real processes (app/dist) on loopback, started with
 * the environment those Deployments give them. Cluster addresses are swapped for loopback ones: a
 * real redis-server, a real FerretDB, and for a URL of one of our own Services the process of the
 * Deployment behind it. Each role gets a little traffic, then its /metrics is scraped — what a
 * Prometheus in the cluster would see from that Deployment.
 */
import { MongoServer } from "../../app/test/helpers/mongo";
import { get, post } from "../../app/test/helpers/net";
import { RedisServer } from "../../app/test/helpers/redis";
import { RoleProcess } from "../../app/test/helpers/role";
import { tempDir } from "../../app/test/helpers/tmp";
import { request } from "./app-roles";
import type { Graph, Res } from "./graph";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";

/** A bodiless POST (the shop's routes take their arguments in the path); failures are ignored. */
const postPath = (url: string) => request(url, "POST").catch(() => undefined);

/** A bodiless POST, and one JSON field of its answer; undefined when the call fails (traffic only needs to be tried). */
async function postFor(url: string, field: string): Promise<string | undefined> {
  try {
    const v = (JSON.parse((await request(url, "POST")).body) as Record<string, unknown>)[field];
    return v === undefined ? undefined : String(v);
  } catch {
    return undefined;
  }
}

/**
 * Requests that make a role's labelled series appear: prom-client prints a labelled counter's or
 * histogram's samples only after its first observation (its `# TYPE` line is there from the start).
 * Each gets the role's URL and its (loopback) environment. A role missing here is still scraped,
 * by name only; add it to check its labels too. Answers are not judged: other tests do that.
 */
export const TRAFFIC: Record<string, (url: string, env: Record<string, string>) => Promise<void>> = {
  stats: async (url) => void (await get(`${url}/`)),
  pingpong: async (url) => void (await get(`${url}/pingpong`)),
  logoutput: async (url) => void (await get(`${url}/`)),
  "sms-app": async (url) => {
    for (const guess of ["spam", "ham"]) await post(`${url}/sms/`, JSON.stringify({ sms: "WINNER! Claim your free prize now", guess }));
    await post(`${url}/sms/`, JSON.stringify({ sms: "" }));
  },
  "sms-model": async (url) => void (await post(`${url}/predict`, JSON.stringify({ sms: "are we still on for lunch?" }))),
  api: async (url) => {
    for (let i = 0; i < 3; i++) await get(`${url}/api/data`);
    await get(`${url}/api/stats`);
  },
  // The shop's routes (seed 003, 2024 spec, gateway prefix stripped): one paid checkout and one
  // without credit, so the saga's and the checkout's labelled series all appear.
  "shop-order": async (url, env) => {
    const payment = (env.SHOP_PAYMENT_URL ?? "").split(",")[0];
    const stock = (env.SHOP_STOCK_URL ?? "").split(",")[0];
    const item = await postFor(`${stock}/item/create/5`, "item_id");
    if (item) await postPath(`${stock}/add/${item}/10`);
    for (const funds of [100, 0]) {
      const user = await postFor(`${payment}/create_user`, "user_id");
      if (!user) continue;
      if (funds > 0) await postPath(`${payment}/add_funds/${user}/${funds}`);
      const order = await postFor(`${url}/create/${user}`, "order_id");
      if (!order || !item) continue;
      await postPath(`${url}/addItem/${order}/${item}/1`);
      await postPath(`${url}/checkout/${order}`);
    }
  },
};

export interface RoleScrape {
  role: string;
  /** The Deployment whose environment started it. */
  deployment: string;
  exposition: string;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** `http://<service>.<namespace>.svc[.cluster.local][:port][/path]`: one of our Services. */
const SERVICE_URL = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::\d+)?(\/[^,]*)?$/;

export class RoleRig {
  private redis?: RedisServer;
  private mongo?: MongoServer;
  private readonly dirs: { remove: () => void }[] = [];
  private readonly running = new Map<string, Promise<RoleProcess>>();

  constructor(private readonly graph: Graph) {}

  /** One Deployment per role the program runs (the first of its versions), in registration order. */
  deploymentsByRole(): Map<string, Res> {
    const byRole = new Map<string, Res>();
    for (const d of this.graph.find(DEPLOYMENT, /.*/)) {
      const role = containerOf(d).args?.[0];
      if (typeof role === "string" && !byRole.has(role)) byRole.set(role, d);
    }
    return byRole;
  }

  /** Starts every role, sends each its traffic, then scrapes them all (traffic to one role may reach others). */
  async scrapeAll(): Promise<RoleScrape[]> {
    const started: { role: string; d: Res; p: RoleProcess }[] = [];
    for (const [role, d] of this.deploymentsByRole()) started.push({ role, d, p: await this.start(d) });
    for (const { role, p } of started) await TRAFFIC[role]?.(p.url, p.env);
    const out: RoleScrape[] = [];
    for (const { role, d, p } of started) {
      const res = await get(`${p.url}/metrics`);
      if (res.status !== 200) throw new Error(`${role} (${d.name}): GET /metrics answered ${res.status}`);
      out.push({ role, deployment: d.name, exposition: res.body });
    }
    return out;
  }

  async stop(): Promise<void> {
    const procs = await Promise.allSettled([...this.running.values()]);
    await Promise.all(procs.flatMap((p) => (p.status === "fulfilled" && !p.value.exited ? [p.value.stop()] : [])));
    await Promise.all([this.redis?.stop(), this.mongo?.remove()]);
    for (const d of this.dirs) d.remove();
  }

  private start(d: Res): Promise<RoleProcess> {
    let p = this.running.get(d.name);
    if (!p) {
      p = this.env(d).then((env) => RoleProcess.start(containerOf(d).args?.[0] as string, env));
      this.running.set(d.name, p);
    }
    return p;
  }

  /** The Deployment's environment with every cluster address replaced by a loopback one. */
  private async env(d: Res): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const e of (containerOf(d).env ?? []) as EnvVar[]) {
      if (["PORT", "HOST", "POD_NAME", "POD_IP"].includes(e.name)) continue; // RoleProcess sets them
      if (e.name === "REDIS_URL") env[e.name] = (this.redis ??= await RedisServer.start()).url;
      else if (e.name === "MONGO_URL") env[e.name] = (this.mongo ??= await MongoServer.start()).url(d.name.replace(/-/g, "_"));
      else if (e.name === "STATE_DIR") {
        const dir = tempDir(`scrape-${d.name}`);
        this.dirs.push(dir);
        env[e.name] = dir.path;
      } else if (typeof e.value === "string") env[e.name] = await this.localUrls(e.value);
      // valueFrom (passwords from Secrets): the loopback servers run without them.
    }
    return env;
  }

  /** A (comma-separated list of) URL(s) of our own Services → the loopback URL of a process behind each. */
  private async localUrls(value: string): Promise<string> {
    if (!SERVICE_URL.test(value.split(",")[0] ?? "")) return value;
    const urls: string[] = [];
    for (const url of value.split(",")) {
      const m = SERVICE_URL.exec(url.trim());
      if (!m) throw new Error(`${value}: mixes our Service URLs with others`);
      const [, name, namespace, rest] = m as unknown as [string, string, string, string | undefined];
      urls.push(`${(await this.start(this.deploymentBehind(name, namespace))).url}${rest ?? ""}`);
    }
    return urls.join(",");
  }

  private deploymentBehind(service: string, namespace: string): Res {
    const svc = this.graph.find(SERVICE, /.*/).find((s) => s.inputs.metadata?.name === service && s.inputs.metadata?.namespace === namespace);
    if (!svc) throw new Error(`no Service ${namespace}/${service} in the program`);
    const selector = Object.entries((svc.inputs.spec?.selector ?? {}) as Record<string, string>);
    const d = this.graph.find(DEPLOYMENT, /.*/).find((x) => {
      const labels = (x.inputs.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      return x.inputs.metadata?.namespace === namespace && selector.length > 0 && selector.every(([k, v]) => labels[k] === v);
    });
    if (!d) throw new Error(`Service ${namespace}/${service} selects no Deployment of the program`);
    return d;
  }
}

function containerOf(d: Res): { args?: string[]; env?: EnvVar[] } {
  return d.inputs.spec.template.spec.containers[0];
}
