// Preloaded with `node --import` by the lazy-loading test: records the URL of every module the
// process loads (through a module.register() load hook) and writes them, one per line, to the
// file named by TRACE_LOADS_FILE when the process exits.
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url));
port1.unref();
register('./trace-loads-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => writeFileSync(process.env.TRACE_LOADS_FILE, [...loaded].join('\n')));
