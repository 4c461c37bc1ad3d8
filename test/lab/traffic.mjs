// Traffic for the lab, run inside its namespaces. Every loop is bounded in count and time.
//   serve PORT                  echo back, per line received, the source address this host sees
//   once HOST PORT              one connection, one exchange; prints the address the server saw, or FAIL
//   hold HOST PORT COUNT SECONDS READY GO [STOP]
//                               opens COUNT connections, exchanges once, touches READY, waits (30 s at
//                               most) for GO to exist, then exchanges every 250 ms on each for SECONDS
//                               or until STOP exists; prints JSON {count, survived, before, after, errors}
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const EXCHANGE_TIMEOUT_MS = 1500;
const [command, ...args] = process.argv.slice(2);

function serve(port) {
  // The lab kills its servers on teardown; this limit only guards against a teardown that never came.
  setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
  net
    .createServer((socket) => {
      socket.on('error', () => socket.destroy());
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        while (buffered.includes('\n')) {
          buffered = buffered.slice(buffered.indexOf('\n') + 1);
          socket.write(`${socket.remoteAddress.replace(/^::ffff:/, '')}\n`);
        }
      });
    })
    .listen(Number(port), '0.0.0.0');
}

function connect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('connect timed out'))), EXCHANGE_TIMEOUT_MS * 2);
    socket.once('connect', () => (clearTimeout(timer), resolve(socket)));
    socket.once('error', (error) => (clearTimeout(timer), reject(error)));
  });
}

/** Sends one line and waits for one line back: the address the server saw. */
function exchange(socket) {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('connection closed'));
    let reply = '';
    const done = (error, value) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      error ? reject(error) : resolve(value);
    };
    const onData = (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\n')) done(null, reply.trim());
    };
    const onError = (error) => done(error);
    const onClose = () => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error('no reply')), EXCHANGE_TIMEOUT_MS);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write('ping\n');
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function once(host, port) {
  try {
    const socket = await connect(host, port);
    console.log(await exchange(socket));
    socket.destroy();
  } catch (error) {
    console.log(`FAIL ${error.message}`);
  }
}

async function hold(host, port, count, seconds, ready, go, stop) {
  const result = { count: Number(count), survived: 0, before: [], after: [], errors: [] };
  const sockets = await Promise.all(Array.from({ length: result.count }, () => connect(host, port).catch((error) => error)));
  const alive = sockets.map((socket) => !(socket instanceof Error));
  for (const [index, socket] of sockets.entries()) {
    if (!alive[index]) continue;
    socket.on('error', () => undefined);
    try {
      result.before.push(await exchange(socket));
    } catch (error) {
      alive[index] = false;
      result.errors.push(`before: ${error.message}`);
    }
  }
  writeFileSync(ready, '');
  for (let waited = 0; !existsSync(go) && waited < 30000; waited += 50) await sleep(50);
  const until = Date.now() + Number(seconds) * 1000;
  while (Date.now() < until && alive.some(Boolean) && !(stop && existsSync(stop))) {
    await Promise.all(
      sockets.map(async (socket, index) => {
        if (!alive[index]) return;
        try {
          result.after.push(await exchange(socket));
        } catch (error) {
          alive[index] = false;
          result.errors.push(`after: ${error.message}`);
        }
      }),
    );
    await sleep(250);
  }
  result.survived = alive.filter(Boolean).length;
  result.before = [...new Set(result.before)];
  result.after = [...new Set(result.after)];
  result.errors = [...new Set(result.errors)];
  for (const socket of sockets) if (!(socket instanceof Error)) socket.destroy();
  console.log(JSON.stringify(result));
}

const commands = { serve, once, hold };
if (!commands[command]) {
  console.error('usage: traffic.mjs serve PORT | once HOST PORT | hold HOST PORT COUNT SECONDS READY GO [STOP]');
  process.exit(2);
}
await commands[command](...args);
