// checkout-burst: every iteration checks out and reads the order back.
import { options as opts, seedOnce, checkout } from './lib.js';

export const options = opts();

export default function () {
  seedOnce();
  checkout();
}
