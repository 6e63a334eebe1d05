// browser: read only. Browse the catalog and look at a product.
import { options as opts, seedIteration, pause, browse, product } from './lib.js';

export const options = opts();

export default function () {
  seedIteration();
  browse();
  pause();
  product();
}
