// shopper: the realistic mix. Everyone browses and looks at a product; one
// in four goes on to log in, check out and read the order's status.
import { options as opts, seedIteration, pause, browse, product, checkout } from './lib.js';

export const options = opts();
const checkoutShare = parseFloat(__ENV.LAB_CHECKOUT_SHARE || '0.25');

export default function () {
  seedIteration();
  browse();
  pause();
  product();
  if (Math.random() < checkoutShare) {
    pause();
    checkout();
  }
}
