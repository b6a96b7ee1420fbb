// Quick manual check: starts Pebble and prints its addresses until Ctrl-C.
import { startPebble } from './pebble.js';
const p = await startPebble();
console.log(JSON.stringify(p, null, 2));
process.on('SIGINT', () => void p.stop().then(() => process.exit(0)));
