import type { Logger } from "../../../lib/logger";
import { StoreUnavailableError } from "../../../state/errors";
import type { ServiceClient } from "../client";
import { DownstreamError } from "../errors";
import type { CheckoutOutcome, SagaStep, ShopOrderMetrics } from "../metrics";
import { checkoutId } from "../money";
import type { OrderRecord, OrderStore, RecordedStep } from "./store";

export interface SagaOptions {
  /** This replica's name: the lease owner. */
  owner: string;
  leaseMs: number;
  recoveryIntervalMs: number;
  /** How long one step keeps trying before the checkout request is answered 503. */
  callTimeoutMs: number;
}

export interface CheckoutAnswer {
  status: number;
  body: Record<string, unknown>;
  outcome: CheckoutOutcome;
}

/** How one run of an attempt ended on this replica. */
type RunEnd =
  | { kind: "finished"; outcome: CheckoutOutcome }
  /** Another replica owns the attempt now; its outcome is read from the order. */
  | { kind: "lost" }
  /** A step got no answer within SHOP_CALL_TIMEOUT_MS; the lease was released for a later resume. */
  | { kind: "unavailable"; message: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops background recoveries from piling up behind an outage. */
const MAX_RECOVERIES = 32;

/**
 * The checkout saga of one order replica (docs/shop.md has the state diagram):
 * claim (open → checking_out, attempt k, step pay, lease) → pay(cid) → record step stock →
 * subtract(cid) → finish paid; or subtract refused → record step refund → refund(cid) → finish
 * open. cid = `<order>:<k>`; payment and stock apply each cid once and remember their decision.
 * Any replica whose claim finds the lease expired resumes from the recorded step; the old owner's
 * later writes are refused because they check attempt and owner.
 */
export class CheckoutSaga {
  private readonly running = new Map<string, Promise<RunEnd>>();
  private timer: NodeJS.Timeout | undefined;
  private recovering = 0;
  private closed = false;

  constructor(
    private readonly store: OrderStore,
    private readonly payment: ServiceClient,
    private readonly stock: ServiceClient,
    private readonly metrics: ShopOrderMetrics,
    private readonly logger: Logger,
    private readonly opts: SagaOptions,
  ) {}

  /** `POST /checkout/{order}`: runs, joins or takes over the order's checkout and answers its outcome. */
  async checkout(orderId: string, requestId: string): Promise<CheckoutAnswer> {
    // A request waits at most this long for another replica's attempt before answering 503.
    const deadline = Date.now() + 2 * this.opts.leaseMs + 3 * this.opts.callTimeoutMs;
    let poll = 10;
    for (;;) {
      const local = this.running.get(orderId);
      if (local) {
        const end = await local;
        if (end.kind === "finished") return answerFor(orderId, end.outcome);
        if (end.kind === "unavailable") return unavailable(end.message);
      } else {
        const claim = await this.store.claim(orderId, this.opts.owner, Date.now(), this.opts.leaseMs, true, requestId);
        switch (claim.kind) {
          case "missing":
            return answerFor(orderId, "not_found", `order ${orderId} not found`);
          case "paid":
            // The same request again (nginx retrying on another upstream after the first died): its outcome.
            if (requestId !== "" && claim.order.requestId === requestId) return answerFor(orderId, "paid");
            return answerFor(orderId, "already_paid");
          case "started":
          case "resumed": {
            const end = await this.run(claim.order, claim.kind === "resumed");
            if (end.kind === "finished") return answerFor(orderId, end.outcome);
            if (end.kind === "unavailable") return unavailable(end.message);
            break;
          }
          case "idle":
            break;
          case "busy": {
            const done = await this.waitFor(claim.order, Math.min(deadline, Date.now() + this.opts.leaseMs));
            if (done) return answerFor(orderId, done);
            break;
          }
        }
      }
      if (Date.now() >= deadline) return unavailable(`the checkout of order ${orderId} is still running on another replica; ask again`);
      await sleep(poll);
      poll = Math.min(poll * 2, 100);
    }
  }

  /** Polls the order until the attempt ends (its outcome), its lease expires or `until` (undefined). */
  private async waitFor(order: OrderRecord, until: number): Promise<CheckoutOutcome | undefined> {
    let poll = 10;
    while (Date.now() < until) {
      await sleep(poll);
      poll = Math.min(poll * 2, 100);
      const now = await this.store.get(order.orderId);
      if (!now) return "not_found";
      if (now.status !== "checking_out" || now.attempt !== order.attempt) {
        return now.result?.attempt === order.attempt ? now.result.outcome : undefined;
      }
      if ((now.leaseUntil ?? 0) < Date.now()) return undefined;
    }
    return undefined;
  }

  private run(order: OrderRecord, resumed: boolean): Promise<RunEnd> {
    const run = this.drive(order, resumed).finally(() => this.running.delete(order.orderId));
    this.running.set(order.orderId, run);
    return run;
  }

  private async drive(order: OrderRecord, resumed: boolean): Promise<RunEnd> {
    const { orderId, attempt } = order;
    const owner = this.opts.owner;
    const cid = checkoutId(orderId, attempt);
    const until = () => Date.now() + this.opts.leaseMs;
    this.metrics.inFlight.inc();
    if (resumed) this.logger.info({ orderId, attempt, step: order.step }, "resuming an abandoned checkout");
    // Keeps the lease while a step waits on a slow service, so nobody takes over a live checkout.
    // Only when no step was recorded for a third of the lease: most checkouts never need it.
    let renewed = Date.now();
    const third = Math.max(10, Math.floor(this.opts.leaseMs / 3));
    const heartbeat = setInterval(() => {
      if (Date.now() - renewed < third) return;
      renewed = Date.now();
      void this.store.advance(orderId, attempt, owner, undefined, until()).catch(() => undefined);
    }, Math.max(5, Math.floor(third / 2)));
    const count = (step: SagaStep, result: "ok" | "failed" | "retried") => this.metrics.steps.inc({ step, result });
    const retried = (step: SagaStep) => () => count(step, "retried");
    // Counted by the run that ends the attempt (a slow run may have been overtaken by another).
    const finish = async (outcome: CheckoutOutcome, refunded = false): Promise<RunEnd> => {
      const ok = await this.store.finish(orderId, attempt, owner, outcome);
      if (outcome === "paid") count("commit", ok ? "ok" : "failed");
      if (ok && resumed) this.metrics.recovered.inc();
      if (ok && refunded) this.metrics.compensations.inc();
      return ok ? { kind: "finished", outcome } : { kind: "lost" };
    };
    const record = async (step: RecordedStep, reason?: CheckoutOutcome) => {
      renewed = Date.now();
      return this.store.advance(orderId, attempt, owner, step, until(), reason);
    };

    let step: RecordedStep = order.step ?? "pay";
    let reason: CheckoutOutcome = order.reason ?? "error";
    try {
      if (step === "pay") {
        const d = await this.call(this.payment, `/saga/pay/${cid}`, { user_id: order.userId, order_id: orderId, amount: order.total }, retried("pay"));
        if (d.decision === "paid") {
          count("pay", "ok");
          if (!(await record("stock"))) return { kind: "lost" };
          step = "stock";
        } else {
          count("pay", "failed");
          // `refunded` here: this checkout id was compensated already, so it did not pay.
          return await finish(d.decision === "rejected" ? refusal(d.reason) : "error");
        }
      }
      if (step === "stock") {
        const items = order.lines.map((l) => [l.itemId, l.quantity]);
        const d = await this.call(this.stock, `/saga/subtract/${cid}`, { items }, retried("stock"));
        if (d.decision === "done") {
          count("stock", "ok");
          return await finish("paid");
        }
        count("stock", "failed");
        reason = refusal(d.reason);
        if (!(await record("refund", reason))) return { kind: "lost" };
        step = "refund";
      }
      await this.call(this.payment, `/saga/refund/${cid}`, { user_id: order.userId, order_id: orderId }, retried("refund"));
      count("refund", "ok");
      return await finish(reason, true);
    } catch (err) {
      if (!(err instanceof DownstreamError || err instanceof StoreUnavailableError)) throw err;
      // Let another replica (or this one's recovery loop) resume it soon, rather than after the lease.
      await this.store.advance(orderId, attempt, owner, undefined, Date.now()).catch(() => undefined);
      this.logger.warn({ orderId, attempt, step, err: err.message }, "checkout step got no answer; left for the recovery loop");
      return { kind: "unavailable", message: `${err.message}; the checkout of order ${orderId} will be completed or undone in the background` };
    } finally {
      clearInterval(heartbeat);
      this.metrics.inFlight.dec();
    }
  }

  /** One idempotent saga call; 200 with a decision, or DownstreamError after the budget. */
  private async call(client: ServiceClient, path: string, body: unknown, onRetry: () => void): Promise<{ decision: string; reason?: string }> {
    const res = await client.call("POST", path, body, onRetry);
    const decision = (res.body as { decision?: unknown } | undefined)?.decision;
    if (res.status !== 200 || typeof decision !== "string") {
      throw new Error(`${client.service} answered ${path} with ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body as { decision: string; reason?: string };
  }

  /** Starts the recovery loop: every interval, resume checkouts whose owner's lease expired. */
  start(): void {
    this.timer = setInterval(() => void this.recover(), this.opts.recoveryIntervalMs);
  }

  private async recover(): Promise<void> {
    if (this.closed || this.recovering >= MAX_RECOVERIES) return;
    let ids: string[];
    try {
      ids = await this.store.expired(Date.now(), MAX_RECOVERIES - this.recovering);
    } catch {
      return; // the store is down: readiness says so; try next interval
    }
    for (const orderId of ids) {
      if (this.closed || this.running.has(orderId) || this.recovering >= MAX_RECOVERIES) continue;
      this.recovering++;
      void this.store
        .claim(orderId, this.opts.owner, Date.now(), this.opts.leaseMs, false, "")
        .then((claim) => (claim.kind === "resumed" ? this.run(claim.order, true) : undefined))
        .catch((err: Error) => this.logger.warn({ orderId, err: err.message }, "recovering a checkout failed; retrying next interval"))
        .finally(() => this.recovering--);
    }
  }

  /** Stops the loop and waits for the runs this replica owns (each ends within SHOP_CALL_TIMEOUT_MS per step). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }
}

function refusal(reason: string | undefined): CheckoutOutcome {
  return reason === "insufficient_credit" || reason === "out_of_stock" || reason === "not_found" || reason === "already_paid" ? reason : "error";
}

const MESSAGES: Record<CheckoutOutcome, string> = {
  paid: "",
  out_of_stock: "not enough stock for an item of order",
  insufficient_credit: "not enough credit to pay order",
  not_found: "the user or an item of order is unknown:",
  already_paid: "already paid: order",
  error: "checkout failed for order",
};

function answerFor(orderId: string, outcome: CheckoutOutcome, message?: string): CheckoutAnswer {
  if (outcome === "paid") return { status: 200, outcome, body: { order_id: orderId, paid: true } };
  const status = outcome === "not_found" ? 404 : outcome === "error" ? 503 : 409;
  return { status, outcome, body: { error: message ?? `${MESSAGES[outcome]} ${orderId}` } };
}

function unavailable(message: string): CheckoutAnswer {
  return { status: 503, outcome: "error", body: { error: message } };
}
