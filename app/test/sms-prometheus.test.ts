import { expect } from "chai";
import { post, waitFor } from "./helpers/net";
import { PrometheusServer } from "./helpers/prometheus";
import { RoleProcess } from "./helpers/role";

/** The exposition is not just printed: a real Prometheus scrapes both roles and can query every family. */
describe("sms roles scraped by a real prometheus", function () {
  let model: RoleProcess;
  let app: RoleProcess;
  let prometheus: PrometheusServer;
  const N = 7;

  before(async function () {
    model = await RoleProcess.start("sms-model", { MODEL_VERSION: "v2" });
    app = await RoleProcess.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v2" });
    for (let i = 0; i < N; i++) {
      const res = await post(`${app.url}/sms/`, JSON.stringify({ sms: i % 2 ? "Free entry: win cash now, call to claim your prize" : `see you at ${i} tonight`, guess: "ham" }));
      expect(res.status, res.body).to.equal(200);
    }
    const target = (p: RoleProcess) => `127.0.0.1:${p.port}`;
    prometheus = await PrometheusServer.start({ "sms-app": target(app), "sms-model": target(model) });
    // Two scrapes of each target, so rate() has two points and every family is in the TSDB.
    await waitFor("two scrapes of both targets", async () => {
      const r = await prometheus.query("count_over_time(up[1m]) >= 2 and up == 1");
      return r.length === 2;
    }, 20_000, 250);
  });
  after(async function () {
    await prometheus?.stop();
    for (const p of [app, model]) if (p && !p.exited) await p.stop();
  });

  const value = (r: { value: [number, string] }[]) => r.map((s) => Number(s.value[1]));

  it("has the app's five families with the requests made", async function () {
    expect(value(await prometheus.query('sms_requests_total{job="sms-app",endpoint="/sms"}'))).to.deep.equal([N]);
    expect(value(await prometheus.query('sum(predictions_result_total{job="sms-app"})'))).to.deep.equal([N]);
    expect(value(await prometheus.query('active_users{job="sms-app",endpoint="/sms"}'))).to.deep.equal([0]);
    expect(value(await prometheus.query('request_duration_seconds_count{job="sms-app"}'))).to.deep.equal([N]);
    expect(value(await prometheus.query('request_duration_seconds_bucket{job="sms-app",le="+Inf"}'))).to.deep.equal([N]);
    expect(value(await prometheus.query('sum(sms_length_count{job="sms-app"})'))).to.deep.equal([N]);
    const quantile = await prometheus.query('histogram_quantile(0.5, sum by (le) (request_duration_seconds_bucket{job="sms-app"}))');
    expect(value(quantile)[0]).to.be.within(0, 5);
  });

  it("has the model's families, labelled with its version", async function () {
    const byResult = await prometheus.query('model_predictions_total{job="sms-model"}');
    expect(byResult.map((s) => s.metric.version)).to.deep.equal(["v2", "v2"]);
    expect(byResult.reduce((sum, s) => sum + Number(s.value[1]), 0)).to.equal(N);
    expect(value(await prometheus.query('model_prediction_latency_seconds_count{job="sms-model",version="v2"}'))).to.deep.equal([N]);
  });
});
