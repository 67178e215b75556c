import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { freePort, post, sample, waitFor } from "./helpers/net";
import { InProcessRole, RUNNERS, type RunningRole } from "./helpers/in-process";
import { MAIN, RoleProcess, runToExit } from "./helpers/role";
import { tempDir } from "./helpers/tmp";

interface Prediction {
  classifier: string;
  result: string;
  sms: string;
  guess: string;
}

const SMS_SERIES = {
  requests: 'sms_requests_total{endpoint="/sms"}',
  spam: 'predictions_result_total{result="spam"}',
  ham: 'predictions_result_total{result="ham"}',
  active: 'active_users{endpoint="/sms"}',
  durationCount: 'request_duration_seconds_count{endpoint="/sms"}',
};

async function metrics(p: RunningRole): Promise<string> {
  const res = await p.get("/metrics");
  expect(res.status).to.equal(200);
  return res.body;
}

/** Two predictions while the model does not answer: both in flight, then both 504 after MODEL_TIMEOUT_MS (700 ms). */
async function twoRequestsTimeOut(app: RunningRole): Promise<void> {
  const started = Date.now();
  const pending = [predict(app, { sms: "one", guess: "ham" }), predict(app, { sms: "two", guess: "ham" })];
  await waitFor("2 requests in flight", async () => sample(await metrics(app), SMS_SERIES.active) === 2, 2000, 20);
  const results = await Promise.all(pending);
  const elapsed = Date.now() - started;
  for (const r of results) {
    expect(r.status, r.body).to.equal(504);
    expect(JSON.parse(r.body).error).to.match(/no answer from .*\/predict within 700 ms/);
  }
  expect(elapsed).to.be.within(650, 3000);
  expect(sample(await metrics(app), SMS_SERIES.active)).to.equal(0);
}

function predict(app: RunningRole, body: unknown, path = "/sms/") {
  return post(`${app.url}${path}`, typeof body === "string" ? body : JSON.stringify(body));
}

/** Seed 004: the front end calls the model over real HTTP on loopback; both run as processes, and in the test process. */
for (const runner of RUNNERS) {
  describe(`sms-app and sms-model (${runner.name})`, function () {
    let model: RunningRole;
    let app: RunningRole;

    before(async function () {
      model = await runner.start("sms-model", { MODEL_VERSION: "v1" });
      app = await runner.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v1", MODEL_TIMEOUT_MS: "700" });
    });
    after(async function () {
      for (const p of [app, model]) if (p) await p.stop();
    });

    it("serves the seed's pages: Hello World!, /sms → /sms/, and a form that posts JSON to ./", async function () {
      const root = await app.get("/");
      expect(root.status).to.equal(200);
      expect(root.body).to.equal("Hello World!");
      const redirect = await app.get("/sms");
      expect(redirect.status).to.equal(302);
      expect(new URL(String(redirect.headers.location), `${app.url}/sms`).pathname).to.equal("/sms/");
      const page = await app.get("/sms/");
      expect(page.status).to.equal(200);
      expect(page.headers["content-type"]).to.match(/^text\/html/);
      expect(page.body).to.include("<form").and.to.include('fetch("./"').and.to.include('name="guess" value="spam"');
    });

    it("sets the version cookie and x-app-version on every answer, including errors", async function () {
      for (const res of [await app.get("/"), await app.get("/sms/"), await predict(app, { sms: "" })]) {
        expect(res.headers["x-app-version"]).to.equal("v1");
        expect(res.headers["set-cookie"]?.[0]).to.match(/^user-session=v1; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
      }
    });

    it("classifies through the model and moves every metric by exactly the requests made", async function () {
      const appBefore = await metrics(app);
      const modelBefore = await metrics(model);
      const messages = [
        { sms: "WINNER!! You have won a free prize worth $1000, call now to claim your cash reward", guess: "spam" },
        { sms: "Are we still meeting for lunch tomorrow? I can bring the report", guess: "ham" },
        { sms: "Limited offer: click here to get your free credit card, no fees, act now!", guess: "ham" },
      ];
      const answers: Prediction[] = [];
      for (const m of messages) {
        const res = await predict(app, m, answers.length === 1 ? "/sms" : "/sms/");
        expect(res.status, res.body).to.equal(200);
        answers.push(JSON.parse(res.body) as Prediction);
      }
      expect(answers.map((a) => a.result)).to.deep.equal(["spam", "ham", "spam"]);
      answers.forEach((a, i) => {
        expect(Object.keys(a).sort()).to.deep.equal(["classifier", "guess", "result", "sms"]);
        expect(a.sms).to.equal(messages[i]?.sms);
        expect(a.guess).to.equal(messages[i]?.guess);
        expect(a.classifier).to.match(/naive Bayes.*model v1$/);
      });

      const appAfter = await metrics(app);
      const modelAfter = await metrics(model);
      const delta = (after: string, before: string, s: string) => sample(after, s, 0) - sample(before, s, 0);
      expect(delta(appAfter, appBefore, SMS_SERIES.requests)).to.equal(3);
      expect(delta(appAfter, appBefore, SMS_SERIES.spam)).to.equal(2);
      expect(delta(appAfter, appBefore, SMS_SERIES.ham)).to.equal(1);
      expect(delta(appAfter, appBefore, SMS_SERIES.durationCount)).to.equal(3);
      expect(delta(appAfter, appBefore, 'sms_length_count{result="spam"}')).to.equal(2);
      expect(delta(appAfter, appBefore, 'sms_length_sum{result="ham"}')).to.equal(messages[1]?.sms.length);
      expect(sample(appAfter, SMS_SERIES.active)).to.equal(0);
      expect(delta(modelAfter, modelBefore, 'model_predictions_total{version="v1",result="spam"}')).to.equal(2);
      expect(delta(modelAfter, modelBefore, 'model_predictions_total{version="v1",result="ham"}')).to.equal(1);
      expect(delta(modelAfter, modelBefore, 'model_prediction_latency_seconds_count{version="v1"}')).to.equal(3);
      // The seed's types and buckets, with the duration in seconds (the seed stored milliseconds in _sum).
      expect(appAfter).to.include("# TYPE sms_requests_total counter").and.to.include("# TYPE active_users gauge").and.to.include("# TYPE request_duration_seconds histogram");
      for (const le of ["0.1", "0.2", "0.3", "0.4", "0.5", "1", "2", "5", "+Inf"]) expect(appAfter).to.include(`request_duration_seconds_bucket{le="${le}",endpoint="/sms"}`);
      for (const le of ["10", "20", "30", "40", "50", "100", "200", "500", "+Inf"]) expect(appAfter).to.include(`sms_length_bucket{le="${le}",result="spam"}`);
      expect(sample(appAfter, 'request_duration_seconds_sum{endpoint="/sms"}')).to.be.below(5);
    });

    const bad: Array<{ what: string; body: string; field: string; message: RegExp }> = [
      { what: "a body that is not JSON", body: "sms=hello", field: "body", message: /not valid JSON/ },
      { what: "a JSON array", body: "[]", field: "body", message: /not a JSON object/ },
      { what: "no sms", body: JSON.stringify({ guess: "spam" }), field: "sms", message: /sms: required/ },
      { what: "a number as sms", body: JSON.stringify({ sms: 42, guess: "spam" }), field: "sms", message: /must be a string, got number/ },
      { what: "an empty sms", body: JSON.stringify({ sms: "   ", guess: "ham" }), field: "sms", message: /sms: empty/ },
      { what: "an sms over 1,600 characters", body: JSON.stringify({ sms: "a".repeat(1601), guess: "ham" }), field: "sms", message: /1601 characters is too long \(allowed: at most 1600\)/ },
      { what: "no guess", body: JSON.stringify({ sms: "hello" }), field: "guess", message: /guess: required \(allowed: spam, ham\)/ },
      { what: "an unknown guess", body: JSON.stringify({ sms: "hello", guess: "maybe" }), field: "guess", message: /guess: invalid value "maybe"/ },
    ];
    it("answers 400 naming the field for every bad input, and never asks the model", async function () {
      const appBefore = await metrics(app);
      const modelBefore = await metrics(model);
      for (const b of bad) {
        const res = await predict(app, b.body);
        expect(res.status, `${b.what}: ${res.body}`).to.equal(400);
        expect(res.headers["content-type"]).to.match(/^application\/json/);
        const body = JSON.parse(res.body) as { error: string; field: string };
        expect(body.field, b.what).to.equal(b.field);
        expect(body.error, b.what).to.match(b.message);
      }
      // Exactly 1,600 characters is still fine.
      expect((await predict(app, { sms: "b".repeat(1600), guess: "ham" })).status).to.equal(200);
      const appAfter = await metrics(app);
      const modelAfter = await metrics(model);
      expect(sample(appAfter, SMS_SERIES.requests) - sample(appBefore, SMS_SERIES.requests)).to.equal(bad.length + 1);
      const predictions = (m: string) => sample(m, SMS_SERIES.spam) + sample(m, SMS_SERIES.ham);
      expect(predictions(appAfter) - predictions(appBefore)).to.equal(1);
      const modelCount = (m: string) => sample(m, 'model_prediction_latency_seconds_count{version="v1"}');
      expect(modelCount(modelAfter) - modelCount(modelBefore)).to.equal(1);
    });

    it("the model rejects bad input with 400 too", async function () {
      const res = await post(`${model.url}/predict`, JSON.stringify({ text: "x" }));
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body)).to.deep.include({ field: "sms" });
      const ok = await post(`${model.url}/predict`, JSON.stringify({ sms: "x" }));
      expect(JSON.parse(ok.body)).to.include({ sms: "x", version: "v1" }).and.to.have.property("result").that.is.oneOf(["spam", "ham"]);
    });

    if (runner.name === "in-process") {
      // No process to SIGSTOP here: a listener that accepts and never answers is the stalled model,
      // and the same listener closed is the dead one.
      it("a stalled model gives a 504 within the timeout and counts the requests in flight; a dead one a 502 at once", async function () {
        const sockets = new Set<net.Socket>();
        const stalled = net.createServer((socket) => void sockets.add(socket));
        await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
        const port = (stalled.address() as net.AddressInfo).port;
        const front = await InProcessRole.start("sms-app", { MODEL_HOST: `http://127.0.0.1:${port}`, APP_VERSION: "v1", MODEL_TIMEOUT_MS: "700" });
        try {
          await twoRequestsTimeOut(front);
          for (const socket of sockets) socket.destroy();
          await new Promise((resolve) => stalled.close(resolve));
          const deadAt = Date.now();
          const res = await predict(front, { sms: "anyone there?", guess: "ham" });
          expect(res.status, res.body).to.equal(502);
          expect(JSON.parse(res.body).error).to.match(/cannot reach .*\/predict \(ECONNREFUSED\)/);
          expect(Date.now() - deadAt).to.be.below(1000);
        } finally {
          await front.stop();
          stalled.close();
        }
      });
    } else {
      it("a stalled model gives a 504 within the timeout and counts the requests in flight; a dead one a 502 at once", async function () {
        (model as RoleProcess).proc.child.kill("SIGSTOP");
        try {
          await twoRequestsTimeOut(app);
        } finally {
          (model as RoleProcess).proc.child.kill("SIGCONT");
        }
        await (model as RoleProcess).kill();
        const started = Date.now();
        const res = await predict(app, { sms: "anyone there?", guess: "ham" });
        expect(res.status, res.body).to.equal(502);
        expect(JSON.parse(res.body).error).to.match(/cannot reach .*\/predict \(ECONNREFUSED\)/);
        expect(Date.now() - started).to.be.below(1000);
        model = await model.restart();
        expect((await predict(app, { sms: "back again", guess: "ham" })).status).to.equal(200);
      });
    }

    it("takes the cookie name and version from the environment", async function () {
      const v2 = await runner.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v2", SESSION_COOKIE: "ab-group", SESSION_MAX_AGE_SECONDS: "600" });
      try {
        const res = await v2.get("/");
        expect(res.headers["x-app-version"]).to.equal("v2");
        expect(res.headers["set-cookie"]?.[0]).to.match(/^ab-group=v2; Path=\/; Max-Age=600;/);
      } finally {
        await v2.stop();
      }
    });

    it("SMS_FAULT=http-500 is the bad version: every user request answers 500 (counted), probes and /metrics stay healthy; off by default", async function () {
      const bad = await runner.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v2", SMS_FAULT: "http-500" });
      try {
        for (const [method, path] of [["GET", "/"], ["GET", "/sms/"], ["POST", "/sms/"], ["POST", "/sms"]] as const) {
          const res = method === "GET" ? await bad.get(path) : await predict(bad, { sms: "free prize", guess: "spam" }, path);
          expect(res.status, `${method} ${path}`).to.equal(500);
          expect(res.body).to.contain("SMS_FAULT=http-500");
          // Still the version's answer: the mesh keeps sticky users on it until it is rolled back.
          expect(res.headers["x-app-version"]).to.equal("v2");
        }
        expect((await bad.get("/healthz")).status).to.equal(200);
        expect((await bad.get("/readyz")).status).to.equal(200);
        const m = await metrics(bad);
        // What the canary analysis reads: the 500s by route, and the prediction requests received.
        expect(sample(m, 'http_requests_total{role="sms-app",route="/sms/",status="500"}')).to.equal(2);
        expect(sample(m, 'http_requests_total{role="sms-app",route="/sms",status="500"}')).to.equal(1);
        expect(sample(m, SMS_SERIES.requests)).to.equal(2);
        expect(sample(m, SMS_SERIES.spam)).to.equal(0);
      } finally {
        await bad.stop();
      }
      // The healthy process of this suite runs without the variable: the switch is off by default.
      expect((await predict(app, { sms: "lunch at noon?", guess: "ham" })).status).to.equal(200);
    });

    const startErrors: Array<{ what: string; role: string; env: Record<string, string>; code: number; mentions: RegExp }> = [
      { what: "MODEL_HOST missing", role: "sms-app", env: {}, code: 2, mentions: /MODEL_HOST: required/ },
      { what: "MODEL_HOST not a URL", role: "sms-app", env: { MODEL_HOST: "model-service:8081" }, code: 2, mentions: /MODEL_HOST: invalid value "model-service:8081" \(allowed: an http:\/\/ or https:\/\/ URL\)/ },
      { what: "a bad APP_VERSION", role: "sms-app", env: { MODEL_HOST: "http://x", APP_VERSION: "canary" }, code: 2, mentions: /APP_VERSION: invalid value "canary"/ },
      { what: "an unknown SMS_FAULT", role: "sms-app", env: { MODEL_HOST: "http://x", SMS_FAULT: "crash" }, code: 2, mentions: /SMS_FAULT: invalid value "crash"/ },
      { what: "a bad SESSION_COOKIE", role: "sms-app", env: { MODEL_HOST: "http://x", SESSION_COOKIE: "a b" }, code: 2, mentions: /SESSION_COOKIE: invalid value/ },
      { what: "a model version the image does not carry", role: "sms-model", env: { MODEL_VERSION: "v9" }, code: 1, mentions: /MODEL_VERSION=v9: cannot load .*v9\.json/ },
    ];
    for (const c of startErrors) {
      if (runner.name === "process") {
        it(`exits ${c.code} with a clear message on ${c.what}`, async function () {
          const { code, stderr } = await runToExit(c.role, { PORT: String(await freePort()), ...c.env });
          expect(code, stderr).to.equal(c.code);
          expect(stderr).to.match(c.mentions);
        });
      } else if (c.code === 1) {
        // Exit code 1 is a start that failed after the configuration was accepted: the role's own error.
        it(`fails to start with a clear message on ${c.what}`, async function () {
          const error = await InProcessRole.start(c.role as "sms-model", c.env).then(
            () => undefined,
            (err: unknown) => err as Error,
          );
          expect(error?.message).to.match(c.mentions);
        });
      }
    }
  });
}

/** A model service whose answers a test decides; it keeps what it was sent. */
class FakeModel {
  received: Array<{ method: string; url: string; contentType: string | undefined; body: string }> = [];
  answer: { status: number; body: string } = { status: 200, body: "{}" };
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.received.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(this.answer.status, { "content-type": "application/json" }).end(this.answer.body);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What only the in-process roles let a test see or arrange: a misbehaving model, the log, broken artefacts. */
describe("sms-app and sms-model edge cases (in-process)", function () {
  let model: FakeModel;
  let modelUrl: string;
  let app: InProcessRole;

  beforeEach(async function () {
    model = new FakeModel();
    modelUrl = await model.start();
    app = await InProcessRole.start("sms-app", { MODEL_HOST: modelUrl, APP_VERSION: "v1" });
  });
  afterEach(async function () {
    await app.close();
    await model.stop();
  });

  it("has every series the dashboards and the alert read from the first scrape, at 0", async function () {
    const m = await metrics(app);
    for (const series of [SMS_SERIES.requests, SMS_SERIES.spam, SMS_SERIES.ham, SMS_SERIES.active]) expect(sample(m, series), series).to.equal(0);
  });

  it("posts the message as JSON to the model's /predict", async function () {
    model.answer = { status: 200, body: JSON.stringify({ result: "ham", classifier: "fake" }) };
    const res = await predict(app, { sms: "see you at 5", guess: "ham" });
    expect(res.status, res.body).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ classifier: "fake", result: "ham", sms: "see you at 5", guess: "ham" });
    expect(model.received).to.deep.equal([{ method: "POST", url: "/predict", contentType: "application/json", body: '{"sms":"see you at 5"}' }]);
  });

  it("answers 502 naming what the model did wrong, logs it, and counts no prediction", async function () {
    const cases: Array<{ status: number; body: string; error: string }> = [
      { status: 200, body: "oops", error: "answered 200 without a JSON body" },
      { status: 500, body: JSON.stringify({ result: "spam", classifier: "fake" }), error: "answered 500" },
      { status: 200, body: JSON.stringify({ classifier: "fake" }), error: "answered without a result and classifier" },
      { status: 200, body: JSON.stringify({ result: "maybe", classifier: "fake" }), error: "answered without a result and classifier" },
      { status: 200, body: JSON.stringify({ result: "spam" }), error: "answered without a result and classifier" },
      { status: 200, body: JSON.stringify({ result: "ham", classifier: "" }), error: "answered without a result and classifier" },
      { status: 200, body: "null", error: "answered without a result and classifier" },
    ];
    for (const c of cases) {
      model.answer = c;
      const res = await predict(app, { sms: "hello", guess: "ham" });
      expect(res.status, c.body).to.equal(502);
      expect(JSON.parse(res.body), c.body).to.deep.equal({ error: `model: ${modelUrl}/predict ${c.error}` });
    }
    const warned = app.logged(/^prediction failed$/);
    expect(warned.map((l) => [l.status, l.error])).to.deep.equal(cases.map((c) => [502, `model: ${modelUrl}/predict ${c.error}`]));
    const m = await metrics(app);
    expect(sample(m, SMS_SERIES.spam) + sample(m, SMS_SERIES.ham)).to.equal(0);
    expect(sample(m, SMS_SERIES.requests)).to.equal(cases.length);
    expect(sample(m, SMS_SERIES.durationCount)).to.equal(cases.length);
  });

  it("with SMS_FAULT=http-500 spares the probes and /metrics whatever their query, and counts only prediction posts", async function () {
    const bad = await InProcessRole.start("sms-app", { MODEL_HOST: modelUrl, APP_VERSION: "v2", SMS_FAULT: "http-500" });
    try {
      for (const p of ["/healthz?probe=1", "/readyz?x", "/metrics?name[]=up"]) expect((await bad.get(p)).status, p).to.equal(200);
      expect((await bad.get("/sms/?lang=en")).status).to.equal(500);
      const other = await post(`${bad.url}/other`, "{}");
      expect(other.status).to.equal(500);
      expect(other.headers["content-type"]).to.equal("text/plain; charset=utf-8");
      expect(other.body).to.equal("fault injected: SMS_FAULT=http-500\n");
      expect(sample(await metrics(bad), SMS_SERIES.requests), "a POST elsewhere is not a prediction request").to.equal(0);
      expect(bad.logged(/^fault injected \(SMS_FAULT\)$/).map((l) => l.fault)).to.deep.equal(["http-500", "http-500"]);
      expect(model.received, "the bad version never asks the model").to.deep.equal([]);
    } finally {
      await bad.close();
    }
  });

  it("the model takes a message without a guess, refuses a bad guess or body, and describes itself at /", async function () {
    const m = await InProcessRole.start("sms-model", { MODEL_VERSION: "v2" });
    try {
      const ok = await post(`${m.url}/predict`, JSON.stringify({ sms: "call me" }));
      expect(ok.status, ok.body).to.equal(200);
      expect(JSON.parse(ok.body)).to.include({ sms: "call me", version: "v2" });
      const refusals: Array<[string, string, RegExp]> = [
        [JSON.stringify({ sms: "x", guess: "maybe" }), "guess", /^guess: invalid value "maybe" \(allowed: spam, ham\)$/],
        [JSON.stringify({ sms: null }), "sms", /^sms: must be a string, got null$/],
        ["", "body", /^body: required/],
        ["  \n", "body", /^body: required/],
        ["null", "body", /^body: not a JSON object$/],
        [JSON.stringify("sms"), "body", /^body: not a JSON object$/],
      ];
      for (const [body, field, error] of refusals) {
        const res = await post(`${m.url}/predict`, body);
        expect(res.status, body).to.equal(400);
        const answer = JSON.parse(res.body) as { field: string; error: string };
        expect(answer.field, body).to.equal(field);
        expect(answer.error, body).to.match(error);
      }
      const artefact = JSON.parse(readFileSync(path.join(path.dirname(MAIN), "models", "v2.json"), "utf8"));
      const about = JSON.parse((await m.get("/")).body);
      expect(about).to.deep.equal({ version: "v2", classifier: `${artefact.classifier}, model v2`, heldOut: artefact.heldOut });
      expect(m.logged(/^model loaded$/).map((l) => [l.version, l.heldOut])).to.deep.equal([["v2", artefact.heldOut]]);
      const counted = sample(await metrics(m), 'model_predictions_total{version="v2",result="spam"}') + sample(await metrics(m), 'model_predictions_total{version="v2",result="ham"}');
      expect(counted, "only the accepted message was classified").to.equal(1);
    } finally {
      await m.close();
    }
  });

  it("the model refuses to start on an artefact of another version or format", async function () {
    const dir = tempDir("sms-artefacts");
    try {
      const good = JSON.parse(readFileSync(path.join(path.dirname(MAIN), "models", "v1.json"), "utf8"));
      mkdirSync(dir.path, { recursive: true });
      for (const [what, artefact] of [
        ["another version", { ...good, version: "v3" }],
        ["another format", { ...good, format: 2 }],
      ] as const) {
        writeFileSync(path.join(dir.path, "v1.json"), JSON.stringify(artefact));
        const error = await InProcessRole.start("sms-model", { MODEL_VERSION: "v1", MODEL_DIR: dir.path }).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(error?.message, what).to.equal(`MODEL_VERSION=v1: ${path.join(dir.path, "v1.json")} is not a format-1 artefact of that version`);
      }
    } finally {
      dir.remove();
    }
  });
});
