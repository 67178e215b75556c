import net from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * The one configuration parser: zod over `process.env`, parsed once at start.
 * Every problem is reported as `<VARIABLE>: <what is wrong> (allowed: …)` so an operator
 * reading `kubectl logs` knows which env var of the Deployment to fix.
 */

export const ROLES = ["stats", "pingpong", "logoutput", "sms-app", "sms-model", "api", "shop-order", "shop-payment", "shop-stock"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string | undefined): value is Role {
  return (ROLES as readonly string[]).includes(value ?? "");
}

/** Every value the container contract allows for `STATE`. */
export const STATE_KINDS = ["pod", "shared-volume", "redis", "mongo"] as const;
export type StoreKind = (typeof STATE_KINDS)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RedisSettings {
  url: string;
  password: string | undefined;
  keyPrefix: string;
  commandTimeoutMs: number;
}

export interface MongoSettings {
  /** The full connection string (may carry credentials: never log it unredacted). */
  url: string;
  /** The database named in the connection string's path. */
  database: string;
  /** Longest an operation waits for a reachable server before the request is answered 503. */
  timeoutMs: number;
}

/** Compaction of a file store's append-only log (docs/state-strategies.md). */
export interface LogBounds {
  /** Fold the log into the snapshot once it is this large. */
  maxLogBytes: number;
  /** …or once a non-empty log is this old. */
  compactEveryMs: number;
}

/** Where a role keeps its state; chosen once from `STATE`. */
export interface StoreConfig {
  kind: StoreKind;
  /** Absolute path; used by `pod` and `shared-volume`. */
  stateDir: string;
  /** Names this replica's shard file on a shared volume. */
  podName: string;
  /** `pod`/`shared-volume`: when the append-only log is folded into the snapshot. */
  log: LogBounds;
  redis: RedisSettings | undefined;
  mongo: MongoSettings | undefined;
}

/** Settings every role shares. */
export interface BaseConfig {
  role: Role;
  port: number;
  host: string;
  podName: string;
  podIp: string;
  trustProxy: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  shutdownDelayMs: number;
}

export interface StatsConfig extends BaseConfig {
  role: "stats";
  store: StoreConfig;
}

export interface PingpongConfig extends BaseConfig {
  role: "pingpong";
  store: StoreConfig;
}

/** logoutput reads the ping-pong count either from the shared store or over HTTP. */
export type CountSourceConfig =
  | { kind: "store"; store: StoreConfig }
  | { kind: "http"; url: string; timeoutMs: number };

export interface LogoutputConfig extends BaseConfig {
  role: "logoutput";
  logIntervalMs: number;
  source: CountSourceConfig;
}

/** The SMS checker's front end (seed 004): the page, the JSON API, the version cookie. */
export interface SmsAppConfig extends BaseConfig {
  role: "sms-app";
  /** Where `sms-model` answers `POST /predict` (no trailing slash). */
  modelHost: string;
  /** Budget for one model call; past it the user gets a 504. */
  modelTimeoutMs: number;
  /** The app version this process is (`v1`, `v2`): set as the version cookie and `x-app-version`. */
  appVersion: string;
  /** Name of the version cookie the routing matches on. */
  sessionCookie: string;
  /** How long the browser keeps the version cookie. */
  sessionMaxAgeSeconds: number;
  /** The bad-version switch: `http-500` answers every user request with a 500 (probes and /metrics stay healthy). */
  fault: SmsFault;
}

/** `SMS_FAULT`: `none`, or `http-500` to rehearse a release that fails its canary analysis. */
export const SMS_FAULTS = ["none", "http-500"] as const;
export type SmsFault = (typeof SMS_FAULTS)[number];

/** The SMS classifier (seed 004): one bundled model version, loaded at start. */
export interface SmsModelConfig extends BaseConfig {
  role: "sms-model";
  /** The artefact `<modelDir>/<modelVersion>.json` to serve. */
  modelVersion: string;
  modelDir: string;
}


export const API_WRITE_MODES = ["direct", "batched"] as const;
export const API_CACHE_KINDS = ["none", "redis"] as const;

/** The api role (seed 002): documents in MongoDB, read ids optionally cached in Redis. */
export interface ApiConfig extends BaseConfig {
  role: "api";
  mongo: MongoSettings;
  /** `direct`: the seed's 5 inserts per request; `batched`: write-behind with group commit. */
  writes: (typeof API_WRITE_MODES)[number];
  batchMaxDocs: number;
  batchMaxWaitMs: number;
  queueMaxDocs: number;
  cache: { kind: "none" } | { kind: "redis"; redis: RedisSettings; ttlSeconds: number };
  /** Processes per pod (node:cluster); 1 runs without a cluster primary. */
  workers: number;
}

/** The shop's stores (seed 003): each service keeps its own data in Redis or MongoDB. */
export const SHOP_STATE_KINDS = ["redis", "mongo"] as const;
export type ShopStoreKind = (typeof SHOP_STATE_KINDS)[number];

/** The backend of one shop service: exactly one of the two settings, matching `kind`. */
export type ShopStoreConfig = { kind: "redis"; redis: RedisSettings } | { kind: "mongo"; mongo: MongoSettings };

/** shop-payment and shop-stock (seed 003): a store and the course's HTTP API. */
export interface ShopServiceConfig extends BaseConfig {
  role: "shop-payment" | "shop-stock";
  store: ShopStoreConfig;
}

/** shop-order (seed 003): its store, where payment and stock answer, and the checkout saga's timing. */
export interface ShopOrderConfig extends BaseConfig {
  role: "shop-order";
  store: ShopStoreConfig;
  /** Base URLs of shop-payment (one Service URL, or several replicas to spread over and fail over between). */
  paymentUrls: string[];
  /** Base URLs of shop-stock, as paymentUrls. */
  stockUrls: string[];
  /** How long a checkout's owner holds it before another replica may take it over. */
  sagaLeaseMs: number;
  /** How often this replica looks for checkouts whose owner's lease expired. */
  recoveryIntervalMs: number;
  /** How long one saga step keeps trying (retries, other replicas) before the request is answered 503. */
  callTimeoutMs: number;
}

export type ShopConfig = ShopOrderConfig | ShopServiceConfig;

export type AppConfig = StatsConfig | PingpongConfig | LogoutputConfig | SmsAppConfig | SmsModelConfig | ApiConfig | ShopConfig;

/** Thrown with every problem found, so the operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Shows what the operator set, shortened, and never the value of a secret. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

type Ctx = z.core.$RefinementCtx<string | undefined>;

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return fallback;
      const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        return fail(ctx, `invalid value ${shown(raw)} (allowed: an integer from ${min} to ${max})`);
      }
      return n;
    });

const oneOf = <T extends string>(allowed: readonly T[], fallback: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      if (raw === undefined) return fallback;
      const value = raw.trim().toLowerCase();
      const match = allowed.find((a) => a === value);
      if (match === undefined) return fail(ctx, `invalid value ${shown(raw)} (allowed: ${allowed.join(", ")})`);
      return match;
    });

const boolean = (fallback: boolean) =>
  oneOf(["true", "false"] as const, fallback ? "true" : "false").transform((v) => v === "true");

/** Kubernetes pod names are DNS subdomains; we also use POD_NAME in a file name. */
const POD_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

const podName = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const value = raw ?? os.hostname();
    if (!POD_NAME_RE.test(value)) {
      return fail(
        ctx,
        `invalid value ${shown(value)}${raw === undefined ? " (from the hostname)" : ""} ` +
          "(allowed: 1-253 letters, digits, '.', '_', '-', starting and ending with a letter or digit)",
      );
    }
    return value;
  });

const podIp = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return firstExternalIPv4();
    const value = raw.trim();
    if (net.isIP(value) === 0) return fail(ctx, `invalid value ${shown(raw)} (allowed: an IPv4 or IPv6 address)`);
    return value;
  });

function firstExternalIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === "IPv4" && !a.internal) return a.address;
    }
  }
  return "127.0.0.1";
}

const optionalText = z.string().optional();

const httpUrl = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(ctx, `invalid value ${shown(raw)} (allowed: an http:// or https:// URL)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return fail(ctx, `invalid value ${shown(raw)} (allowed: an http:// or https:// URL)`);
    }
    return raw.replace(/\/+$/, "");
  });

/** One http(s) base URL, or several separated by commas (a client spreads calls over them). */
const httpUrlList = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const urls: string[] = [];
    for (const part of raw.split(",").map((p) => p.trim())) {
      let url: URL | undefined;
      try {
        url = new URL(part);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") {
        return fail(ctx, `invalid value ${shown(part)} (allowed: an http:// or https:// base URL, or several separated by commas)`);
      }
      urls.push(part.replace(/\/+$/, ""));
    }
    return urls;
  });

/** A version name as the routing and the artefacts use it: `v1`, `v2`, `v3`, … */
const versionName = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    if (!/^v[0-9]{1,3}$/.test(raw)) return fail(ctx, `invalid value ${shown(raw)} (allowed: v followed by a number, e.g. v1)`);
    return raw;
  });

/** RFC 6265 cookie-name characters we accept (a token without separators). */
const cookieName = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) return fail(ctx, `invalid value ${shown(raw)} (allowed: 1-64 letters, digits, '_', '-')`);
    return raw;
  });

/** REDIS_URL may carry a password, so it is never echoed back. */
const redisUrl = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const allowed = "(allowed: redis://host:port[/db] or rediss://host:port[/db]; put the password in REDIS_PASSWORD)";
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(ctx, `not a valid URL ${allowed}`);
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      return fail(ctx, `unsupported scheme ${shown(url.protocol)} ${allowed}`);
    }
    if (url.hostname === "") return fail(ctx, `has no host ${allowed}`);
    return raw;
  });

/**
 * MONGO_URL may carry a password, so it is never echoed back. The database is the path of the
 * connection string (`mongodb://user:pw@host:27017/statefleet?authSource=statefleet`), as
 * with every MongoDB tool, so one Secret value says everything.
 */
const mongoUrl = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const allowed = "(allowed: mongodb://[user:password@]host[:port][,host…]/<database>[?options] or mongodb+srv://…)";
    const m = /^mongodb(?:\+srv)?:\/\/([^/?#]+)(?:\/([^?#]*))?(?:\?[^#]*)?$/.exec(raw.trim());
    if (!m) return fail(ctx, `not a MongoDB connection string ${allowed}`);
    const hosts = (m[1] ?? "").replace(/^.*@/, "");
    if (hosts === "") return fail(ctx, `has no host ${allowed}`);
    let database: string;
    try {
      database = decodeURIComponent(m[2] ?? "");
    } catch {
      return fail(ctx, `has a malformed database name ${allowed}`);
    }
    if (database === "") return fail(ctx, `names no database: put it in the path ${allowed}`);
    if (/[/\\. "$\0]/.test(database) || database.length > 63) {
      return fail(ctx, `names an invalid database (MongoDB forbids /\\. "$ and more than 63 characters) ${allowed}`);
    }
    return { url: raw.trim(), database };
  });

const envSchema = z.object({
  PORT: integer(1, 65535, 8080),
  HOST: optionalText,
  POD_NAME: podName,
  POD_IP: podIp,
  TRUST_PROXY: boolean(false),
  LOG_LEVEL: oneOf(LOG_LEVELS, "info"),
  SHUTDOWN_TIMEOUT_MS: integer(100, 3_600_000, 20_000),
  SHUTDOWN_DELAY_MS: integer(0, 3_600_000, 0),
  STATE: oneOf(STATE_KINDS, "pod"),
  STATE_DIR: optionalText,
  STATE_LOG_MAX_BYTES: integer(4096, 1 << 30, 1 << 20),
  STATE_LOG_COMPACT_MS: integer(10, 3_600_000, 30_000),
  REDIS_URL: redisUrl,
  REDIS_PASSWORD: optionalText,
  REDIS_KEY_PREFIX: optionalText,
  REDIS_COMMAND_TIMEOUT_MS: integer(50, 60_000, 1000),
  LOG_INTERVAL_MS: integer(10, 3_600_000, 5000),
  PINGPONG_URL: httpUrl,
  PINGPONG_TIMEOUT_MS: integer(50, 60_000, 2000),
  MODEL_HOST: httpUrl,
  MODEL_TIMEOUT_MS: integer(50, 120_000, 5000),
  APP_VERSION: versionName,
  SESSION_COOKIE: cookieName,
  SESSION_MAX_AGE_SECONDS: integer(60, 31_536_000, 3600),
  SMS_FAULT: oneOf(SMS_FAULTS, "none"),
  MODEL_VERSION: versionName,
  MODEL_DIR: optionalText,
  MONGO_URL: mongoUrl,
  MONGO_TIMEOUT_MS: integer(100, 60_000, 2000),
  API_WRITES: oneOf(API_WRITE_MODES, "batched"),
  API_BATCH_MAX_DOCS: integer(5, 100_000, 500),
  API_BATCH_MAX_WAIT_MS: integer(0, 10_000, 5),
  API_QUEUE_MAX_DOCS: integer(5, 10_000_000, 20_000),
  API_CACHE: oneOf(API_CACHE_KINDS, "redis"),
  API_CACHE_TTL_SECONDS: integer(1, 86_400, 5),
  API_WORKERS: integer(1, 64, 1),
  SHOP_PAYMENT_URL: httpUrlList,
  SHOP_STOCK_URL: httpUrlList,
  SHOP_SAGA_LEASE_MS: integer(100, 600_000, 2000),
  SHOP_RECOVERY_INTERVAL_MS: integer(10, 600_000, 1000),
  SHOP_CALL_TIMEOUT_MS: integer(50, 600_000, 5000),
});

type Env = z.output<typeof envSchema>;

/** Every environment variable the app reads (docs/app.md must document each; a test checks). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The image's default state directory; the Pulumi program mounts a volume there. */
export const DEFAULT_STATE_DIR = "/var/lib/statefleet";
/** Where the build puts the trained model artefacts (`dist/models/<version>.json`). */
export const DEFAULT_MODEL_DIR = path.resolve(__dirname, "..", "models");

/**
 * Parses the environment for `role`. Empty variables count as unset, because a Kubernetes
 * manifest often renders an optional value as `""`.
 */
export function loadConfig(role: Role, rawEnv: NodeJS.ProcessEnv): AppConfig {
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.SHUTDOWN_DELAY_MS >= e.SHUTDOWN_TIMEOUT_MS) {
    problems.push(
      `SHUTDOWN_DELAY_MS: ${e.SHUTDOWN_DELAY_MS} must be smaller than SHUTDOWN_TIMEOUT_MS (${e.SHUTDOWN_TIMEOUT_MS}) ` +
        "(allowed: a delay that leaves time to drain)",
    );
  }
  const base: BaseConfig = {
    role,
    port: e.PORT,
    host: e.HOST ?? "0.0.0.0",
    podName: e.POD_NAME,
    podIp: e.POD_IP,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
  };

  let config: AppConfig | undefined;
  switch (role) {
    case "stats":
    case "pingpong": {
      const store = storeConfig(role, e, problems);
      if (store) config = role === "stats" ? { ...base, role, store } : { ...base, role, store };
      break;
    }
    case "logoutput": {
      // PINGPONG_URL wins: it is the HTTP stage of the course (2.01) and needs no shared store.
      const source: CountSourceConfig | undefined = e.PINGPONG_URL
        ? { kind: "http", url: e.PINGPONG_URL, timeoutMs: e.PINGPONG_TIMEOUT_MS }
        : mapStore(storeConfig(role, e, problems));
      if (source) config = { ...base, role, logIntervalMs: e.LOG_INTERVAL_MS, source };
      break;
    }
    case "sms-app": {
      if (e.MODEL_HOST === undefined) problems.push("MODEL_HOST: required (allowed: the model's http:// or https:// URL, e.g. http://sms-model:8080)");
      else config = {
        ...base,
        role,
        modelHost: e.MODEL_HOST,
        modelTimeoutMs: e.MODEL_TIMEOUT_MS,
        appVersion: e.APP_VERSION ?? "v1",
        sessionCookie: e.SESSION_COOKIE ?? "user-session",
        sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
        fault: e.SMS_FAULT,
      };
      break;
    }
    case "sms-model":
      config = { ...base, role, modelVersion: e.MODEL_VERSION ?? "v1", modelDir: path.resolve(e.MODEL_DIR ?? DEFAULT_MODEL_DIR) };
      break;
    case "api":
      config = apiConfig(base, e, problems);
      break;
    case "shop-order":
    case "shop-payment":
    case "shop-stock":
      config = shopConfig({ ...base, role }, rawEnv.STATE, e, problems);
      break;
  }
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return config;
}

function mapStore(store: StoreConfig | undefined): CountSourceConfig | undefined {
  return store ? { kind: "store", store } : undefined;
}

function redisSettings(role: Role, e: Env, problems: string[], why: string): RedisSettings | undefined {
  if (e.REDIS_URL === undefined) {
    problems.push(`REDIS_URL: required when ${why} (allowed: redis://host:port[/db] or rediss://host:port[/db])`);
    return undefined;
  }
  // logoutput reads the counter pingpong writes, so it shares pingpong's default prefix.
  const owner = role === "logoutput" ? "pingpong" : role;
  return {
    url: e.REDIS_URL,
    password: e.REDIS_PASSWORD,
    keyPrefix: e.REDIS_KEY_PREFIX ?? `statefleet:${owner}:`,
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
  };
}

function mongoSettings(e: Env, problems: string[], why: string): MongoSettings | undefined {
  if (e.MONGO_URL === undefined) {
    problems.push(`MONGO_URL: required when ${why} (allowed: mongodb://[user:password@]host[:port]/<database>[?options])`);
    return undefined;
  }
  return { ...e.MONGO_URL, timeoutMs: e.MONGO_TIMEOUT_MS };
}

function storeConfig(role: Role, e: Env, problems: string[]): StoreConfig | undefined {
  const kind = e.STATE;
  const redis = kind === "redis" ? redisSettings(role, e, problems, "STATE=redis") : undefined;
  const mongo = kind === "mongo" ? mongoSettings(e, problems, "STATE=mongo") : undefined;
  if (problems.length > 0) return undefined;
  return {
    kind,
    stateDir: path.resolve(e.STATE_DIR ?? DEFAULT_STATE_DIR),
    podName: e.POD_NAME,
    log: { maxLogBytes: e.STATE_LOG_MAX_BYTES, compactEveryMs: e.STATE_LOG_COMPACT_MS },
    redis,
    mongo,
  };
}

function apiConfig(base: BaseConfig, e: Env, problems: string[]): ApiConfig | undefined {
  const mongo = mongoSettings(e, problems, "the role is api");
  const redis = e.API_CACHE === "redis" ? redisSettings("api", e, problems, "API_CACHE=redis") : undefined;
  if (e.API_BATCH_MAX_DOCS > e.API_QUEUE_MAX_DOCS) {
    problems.push(
      `API_QUEUE_MAX_DOCS: ${e.API_QUEUE_MAX_DOCS} is smaller than API_BATCH_MAX_DOCS (${e.API_BATCH_MAX_DOCS}) ` +
        "(allowed: a queue that holds at least one full batch)",
    );
  }
  if (problems.length > 0 || mongo === undefined) return undefined;
  return {
    ...base,
    role: "api",
    mongo,
    writes: e.API_WRITES,
    batchMaxDocs: e.API_BATCH_MAX_DOCS,
    batchMaxWaitMs: e.API_BATCH_MAX_WAIT_MS,
    queueMaxDocs: e.API_QUEUE_MAX_DOCS,
    cache: redis ? { kind: "redis", redis, ttlSeconds: e.API_CACHE_TTL_SECONDS } : { kind: "none" },
    workers: e.API_WORKERS,
  };
}

/**
 * The shop roles have no default store: the order, payment and stock data must live in Redis or
 * MongoDB, shared by the replicas, so `STATE` is required and `pod`/`shared-volume` are refused.
 */
function shopConfig(base: BaseConfig & { role: ShopConfig["role"] }, rawState: string | undefined, e: Env, problems: string[]): ShopConfig | undefined {
  const allowed = `(allowed: ${SHOP_STATE_KINDS.join(", ")})`;
  let store: ShopStoreConfig | undefined;
  if (rawState === undefined || rawState === "") {
    problems.push(`STATE: required for ${base.role} ${allowed}`);
  } else if (e.STATE !== "redis" && e.STATE !== "mongo") {
    problems.push(`STATE: ${shown(rawState)} cannot hold ${base.role}'s data: it must be shared by every replica ${allowed}`);
  } else if (e.STATE === "redis") {
    const redis = redisSettings(base.role, e, problems, "STATE=redis");
    if (redis) store = { kind: "redis", redis };
  } else {
    const mongo = mongoSettings(e, problems, "STATE=mongo");
    if (mongo) store = { kind: "mongo", mongo };
  }
  if (base.role !== "shop-order") {
    if (problems.length > 0 || store === undefined) return undefined;
    return { ...base, role: base.role, store };
  }
  const need = (name: string, value: string[] | undefined, example: string): string[] | undefined => {
    if (value === undefined) problems.push(`${name}: required for shop-order (allowed: the service's base URL, e.g. ${example}, or several separated by commas)`);
    return value;
  };
  const paymentUrls = need("SHOP_PAYMENT_URL", e.SHOP_PAYMENT_URL, "http://shop-payment:8080");
  const stockUrls = need("SHOP_STOCK_URL", e.SHOP_STOCK_URL, "http://shop-stock:8080");
  if (e.SHOP_RECOVERY_INTERVAL_MS > e.SHOP_SAGA_LEASE_MS * 10) {
    problems.push(
      `SHOP_RECOVERY_INTERVAL_MS: ${e.SHOP_RECOVERY_INTERVAL_MS} is more than ten times SHOP_SAGA_LEASE_MS (${e.SHOP_SAGA_LEASE_MS}) ` +
        "(allowed: an interval that looks for abandoned checkouts about as often as a lease expires)",
    );
  }
  if (problems.length > 0 || store === undefined || paymentUrls === undefined || stockUrls === undefined) return undefined;
  return {
    ...base,
    role: "shop-order",
    store,
    paymentUrls,
    stockUrls,
    sagaLeaseMs: e.SHOP_SAGA_LEASE_MS,
    recoveryIntervalMs: e.SHOP_RECOVERY_INTERVAL_MS,
    callTimeoutMs: e.SHOP_CALL_TIMEOUT_MS,
  };
}
