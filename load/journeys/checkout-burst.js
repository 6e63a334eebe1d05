// checkout-burst: every iteration checks out and reads the order back.
import { options as opts, seedIteration, checkout } from './lib.js';

export const options = opts();

export default function () {
  seedIteration();
  checkout();
}
