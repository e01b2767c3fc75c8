// Module hooks (run off the main thread) for trace-loads.mjs: report each loaded URL.
let port;
export function initialize(data) {
  port = data.port;
}
export async function load(url, context, nextLoad) {
  port.postMessage(url);
  return nextLoad(url, context);
}
