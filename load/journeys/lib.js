// Shared by the built-in journeys: options from the lab's environment, a
// seeded random source, and the shop's calls with their endpoint names.
import http from 'k6/http';
import { sleep, randomSeed } from 'k6';
import exec from 'k6/execution';

export const base = __ENV.BASE_URL;
export const seed = parseInt(__ENV.LAB_SEED || '1', 10);
export const products = parseInt(__ENV.LAB_PRODUCTS || '1000', 10);
const think = parseFloat(__ENV.LAB_THINK || '0');
const endpoints = ['browse', 'product', 'login', 'checkout', 'order'];

// options builds k6 options: a warmup scenario (not measured) and the main
// one, an arrival-rate executor unless LAB_EXECUTOR says otherwise, so slow
// answers cannot slow the arrivals down and hide latency.
export function options() {
  const warmup = __ENV.LAB_WARMUP || '0s';
  const rate = parseInt(__ENV.LAB_RATE || '20', 10);
  const maxVUs = parseInt(__ENV.LAB_VUS || '200', 10);
  const pre = Math.min(maxVUs, Math.max(2, Math.ceil(rate / 4)));
  const executor = __ENV.LAB_EXECUTOR || 'constant-arrival-rate';
  const scenarios = {};
  if (warmup !== '0s') {
    scenarios.warmup = {
      executor: 'constant-arrival-rate', rate: Math.max(1, Math.ceil(rate / 2)), timeUnit: '1s',
      duration: warmup, preAllocatedVUs: pre, maxVUs: maxVUs, gracefulStop: '0s',
    };
  }
  const main = { startTime: warmup, gracefulStop: __ENV.LAB_GRACEFUL_STOP || '2s' };
  if (executor === 'ramping-arrival-rate') {
    // VUs for the ramp's top rate at half a second an iteration, made
    // before the test: k6 adds missing VUs one at a time while it runs, and
    // a ramp that waits for them flattens where latency grows, which would
    // hide the knee it is there to find.
    const stages = JSON.parse(__ENV.LAB_STAGES || '[]');
    const top = Math.max(rate, ...stages.map((s) => s.target));
    Object.assign(main, {
      executor, startRate: parseInt(__ENV.LAB_START_RATE || '1', 10), timeUnit: '1s',
      stages: stages, preAllocatedVUs: Math.min(maxVUs, Math.max(2, Math.ceil(top / 2))), maxVUs: maxVUs,
    });
  } else if (executor === 'constant-vus') {
    Object.assign(main, { executor, vus: maxVUs, duration: __ENV.LAB_DURATION || '30s' });
  } else {
    Object.assign(main, {
      executor: 'constant-arrival-rate', rate: rate, timeUnit: '1s',
      duration: __ENV.LAB_DURATION || '30s', preAllocatedVUs: pre, maxVUs: maxVUs,
    });
  }
  scenarios.main = main;
  // Thresholds that always hold make k6 report each endpoint of the main
  // scenario on its own in its summary, which the lab checks itself against.
  const thresholds = {};
  for (const e of endpoints) {
    thresholds[`http_req_duration{name:${e},scenario:main}`] = ['p(95)>=0'];
    thresholds[`http_reqs{name:${e},scenario:main}`] = ['count>=0'];
    thresholds[`http_req_failed{name:${e},scenario:main}`] = ['rate>=0'];
  }
  return {
    scenarios, thresholds, discardResponseBodies: false, noConnectionReuse: false,
    summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max', 'count'],
    setupTimeout: '30s',
  };
}

// seedIteration seeds Math.random for this iteration from the run's seed
// and the iteration's number in the whole test, so a run with the same seed
// makes the same request mix, whichever VU runs an iteration and however
// many k6 generators share the test (--load-nodes: each runs its execution
// segment, and iterationInTest numbers the iterations across all of them).
export function seedIteration() {
  const offset = exec.scenario.name === 'main' ? 0 : 1000003;
  randomSeed(seed * 100003 + offset + exec.scenario.iterationInTest);
}

export function pause() {
  if (think > 0) sleep(think * (0.5 + Math.random()));
}

export function browse() {
  const page = 1 + Math.floor(Math.random() * 5);
  return http.get(`${base}/api/products?page=${page}&size=20`, { tags: { name: 'browse' } });
}

export function product() {
  const id = 1 + Math.floor(Math.random() * products);
  return http.get(`${base}/api/products/${id}`, { tags: { name: 'product' } });
}

const json = { headers: { 'Content-Type': 'application/json' } };
let token = null;
let logins = 0;

// login registers this VU's shopper once and logs in, again every 25 calls.
export function login() {
  if (token && logins++ % 25 !== 0) return token;
  const creds = JSON.stringify({ email: `vu${__VU}-s${seed}@lab.test`, password: 'secret123' });
  if (!token) {
    http.post(`${base}/api/users`, creds, Object.assign({ tags: { name: 'register' },
      responseCallback: http.expectedStatuses(201, 409) }, json));
  }
  const r = http.post(`${base}/api/login`, creds, Object.assign({ tags: { name: 'login' } }, json));
  if (r.status === 200) token = r.json('token');
  return token;
}

// checkout orders one or two products and then reads the order back.
export function checkout() {
  const t = login();
  if (!t) return;
  const items = [{ product_id: 1 + Math.floor(Math.random() * products), qty: 1 }];
  if (Math.random() < 0.5) items.push({ product_id: 1 + Math.floor(Math.random() * products), qty: 1 });
  const auth = { headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t}` } };
  const r = http.post(`${base}/api/orders`, JSON.stringify({ items }), Object.assign({ tags: { name: 'checkout' } }, auth));
  if (r.status === 201 || r.status === 202) {
    pause();
    http.get(`${base}/api/orders/${r.json('id')}`, Object.assign({ tags: { name: 'order' } }, auth));
  }
}
