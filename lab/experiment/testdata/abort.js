// A user's script that asks k6 to stop the test once its threshold fails.
import http from 'k6/http';

export const options = {
  scenarios: {
    main: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '12s', preAllocatedVUs: 5 },
  },
  thresholds: {
    'http_req_duration{name:browse}': [{ threshold: 'p(95)<0.001', abortOnFail: true, delayAbortEval: '1s' }],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/api/products?size=3`, { tags: { name: 'browse' } });
}
