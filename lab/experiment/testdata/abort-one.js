// A user's script whose threshold only the first of several generators
// crosses (LAB_GENERATOR is each one's number), with abortOnFail.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  scenarios: {
    main: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '12s', preAllocatedVUs: 5 },
  },
  thresholds: {
    checks: [{ threshold: 'rate>0.99', abortOnFail: true, delayAbortEval: '1s' }],
  },
};

export default function () {
  const r = http.get(`${__ENV.BASE_URL}/api/products?size=3`, { tags: { name: 'browse' } });
  check(r, { 'answered, and not by the first generator': (x) => x.status === 200 && __ENV.LAB_GENERATOR !== '1' });
}
