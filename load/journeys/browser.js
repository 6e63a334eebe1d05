// browser: read only. Browse the catalog and look at a product.
import { options as opts, seedOnce, pause, browse, product } from './lib.js';

export const options = opts();

export default function () {
  seedOnce();
  browse();
  pause();
  product();
}
