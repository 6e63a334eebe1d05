// A user's script with its own thresholds: browse p95 under 1 µs cannot
// hold, so k6 fails it; the share of failed requests can.
import http from 'k6/http';

export const options = {
  scenarios: {
    main: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '4s', preAllocatedVUs: 5 },
  },
  thresholds: {
    'http_req_duration{name:browse}': ['p(95)<0.001'],
    http_req_failed: ['rate<0.5'],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/api/products?size=3`, { tags: { name: 'browse' } });
}
