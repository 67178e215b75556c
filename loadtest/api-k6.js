// Seed 002's load test for k6 users: the same profile as loadtest/run.ts (keep them in step;
// loadtest/profile.ts holds the numbers). The stages, timeout, checks, error_rate and
// thresholds are those of the seed's stress-test.js (10,000-user version).
//
//   k6 run -e BASE_URL=http://statefleet.localhost:8080 loadtest/api-k6.js
//   k6 run -e BASE_URL=… -e SCALE=0.2 -e TIME_SCALE=0.1 loadtest/api-k6.js   # like --scale/--time-scale
import http from "k6/http";
import { check, fail } from "k6";
import { Rate, Trend, Counter } from "k6/metrics";

const BASE_URL = __ENV.BASE_URL || "http://localhost:8080";
const SCALE = Number(__ENV.SCALE || "1");
const TIME_SCALE = Number(__ENV.TIME_SCALE || "1");

const STAGES = [
  { durationS: 60, target: 1000 },
  { durationS: 120, target: 5000 },
  { durationS: 180, target: 10000 },
  { durationS: 300, target: 10000 },
  { durationS: 120, target: 0 },
];

export const errorRate = new Rate("error_rate");
export const responseTime = new Trend("response_time_ms", true);
export const successfulRequests = new Counter("successful_requests");
export const failedRequests = new Counter("failed_requests");

export const options = {
  stages: STAGES.map((s) => ({ duration: `${s.durationS * TIME_SCALE}s`, target: Math.round(s.target * SCALE) })),
  thresholds: {
    http_req_duration: ["p(95)<2000", "p(99)<5000"],
    error_rate: ["rate<0.01"],
    http_req_failed: ["rate<0.01"],
  },
};

export function setup() {
  const res = http.get(`${BASE_URL}/readyz`);
  if (res.status !== 200) fail(`GET ${BASE_URL}/readyz answered ${res.status}; is the service up?`);
}

export default function () {
  const res = http.get(`${BASE_URL}/api/data`, { headers: { Accept: "application/json" }, timeout: "10s" });
  const ok = check(res, {
    "status is 200": (r) => r.status === 200,
    "status is success": (r) => {
      try {
        return r.json().status === "success";
      } catch (e) {
        return false;
      }
    },
    "response time < 2000ms": (r) => r.timings.duration < 2000,
  });
  errorRate.add(!ok);
  responseTime.add(res.timings.duration);
  if (ok) successfulRequests.add(1);
  else failedRequests.add(1);
}
