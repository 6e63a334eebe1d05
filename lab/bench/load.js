// The load of `lab bench`: one endpoint at a time, as cheap for k6 as a
// script can be (bodies discarded but for the login), so that what is
// measured is the shop and not the script.
//
// BENCH_JOURNEY   browse (GET a catalog page), checkout (POST an order) or
//                 health (GET the gateway's /healthz: no service behind it,
//                 so the shop never refuses; what k6 against wrk compares)
// BENCH_EXECUTOR  ramp: an arrival rate from BENCH_START to BENCH_PEAK per
//                 second over BENCH_DURATION; vus: BENCH_VUS looping VUs
//                 for BENCH_DURATION, as fast as answers come
import http from 'k6/http';

const base = __ENV.BASE_URL;
const journey = __ENV.BENCH_JOURNEY || 'browse';
const duration = __ENV.BENCH_DURATION || '10s';
const maxVUs = parseInt(__ENV.BENCH_VUS || '100', 10);

function scenario() {
  if ((__ENV.BENCH_EXECUTOR || 'ramp') === 'vus') {
    return { executor: 'constant-vus', vus: maxVUs, duration: duration, gracefulStop: '1s' };
  }
  return {
    executor: 'ramping-arrival-rate', timeUnit: '1s',
    startRate: parseInt(__ENV.BENCH_START || '100', 10),
    stages: [{ target: parseInt(__ENV.BENCH_PEAK || '1000', 10), duration: duration }],
    // Every VU is made before the load starts: a VU made mid-ramp costs k6
    // a JavaScript runtime of its own, CPU the shop would be measured without.
    preAllocatedVUs: maxVUs, maxVUs: maxVUs, gracefulStop: '1s',
  };
}

export const options = {
  scenarios: { main: scenario() },
  discardResponseBodies: true,
  summaryTrendStats: ['med', 'p(99)', 'count'],
  setupTimeout: '30s',
};

const json = { 'Content-Type': 'application/json' };
const shoppers = 50;

// setup registers and logs in the shoppers before the load starts, so that
// logins (a password hash each) are not in the checkouts measured.
export function setup() {
  const tokens = [];
  if (journey !== 'checkout') return { tokens };
  for (let i = 0; i < shoppers; i++) {
    const creds = JSON.stringify({ email: `bench-${i}@lab.test`, password: 'secret123' });
    http.post(`${base}/api/users`, creds, { headers: json, tags: { name: 'register' },
      responseCallback: http.expectedStatuses(201, 409) });
    const r = http.post(`${base}/api/login`, creds, { headers: json, tags: { name: 'login' }, responseType: 'text' });
    if (r.status !== 200) throw new Error(`login of shopper ${i}: status ${r.status}`);
    tokens.push(r.json('token'));
  }
  return { tokens };
}

let n = 0;

export default function (data) {
  n++;
  if (journey === 'checkout') {
    const token = data.tokens[__VU % data.tokens.length];
    const body = JSON.stringify({ items: [{ product_id: 1 + ((__VU * 7919 + n * 104729) % 1000), qty: 1 }] });
    http.post(`${base}/api/orders`, body, { headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      tags: { name: 'checkout' }, responseCallback: http.expectedStatuses(201, 202) });
    return;
  }
  if (journey === 'health') {
    http.get(`${base}/healthz`, { tags: { name: 'health' } });
    return;
  }
  http.get(`${base}/api/products?page=${1 + (n % 5)}&size=20`, { tags: { name: 'browse' } });
}
