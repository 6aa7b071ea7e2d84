// A small driver used by this package's own tests (run with node). Its
// behaviour is steered by the flags and state the tests pass.
import { DriverError, type Driver, type DriverContext, type FlagValues, type JsonObject } from '../index';
import { serveDriver } from '../serve';

interface MiniState extends JsonObject {
  mode: string;
  delayMs: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

export const miniDriver: Driver<MiniState> = {
  info: { name: 'mini', version: '1.2.3', description: 'test driver', stateVersion: 3 },
  schema: () => [
    { name: 'mini-mode', type: 'string', description: 'behaviour', default: 'ok' },
    { name: 'mini-delay', type: 'int', description: 'delay in ms', default: 0 },
    { name: 'mini-need', type: 'string', description: 'a required flag', required: true },
    { name: 'mini-list', type: 'string-list', description: 'a list' },
    { name: 'mini-bool', type: 'bool', description: 'a bool', default: false },
  ],
  configure(ctx: DriverContext, flags: FlagValues) {
    if (flags['mini-need'] === 'bad') throw new DriverError('invalid-argument', 'mini-need is bad', { flag: 'mini-need', detail: 'use good' });
    ctx.warn('configured with a warning');
    console.log('this console.log must not reach stdout');
    process.stdout.write('neither must this\n');
    return { mode: String(flags['mini-mode']), delayMs: Number(flags['mini-delay']) };
  },
  async create(ctx, state) {
    ctx.progress('step 1');
    if (state.mode === 'crash') {
      process.stderr.write('mini: about to crash\n');
      process.exit(7);
    }
    if (state.mode === 'throw') throw new Error('plain failure');
    if (state.mode === 'wait-abort') {
      // Records that the abort reached the driver, which the test reads from stderr.
      try {
        await sleep(60_000, ctx.signal);
      } catch {
        ctx.log.info('create aborted');
        throw ctx.signal.reason;
      }
    }
    await sleep(state.delayMs, ctx.signal);
    ctx.progress('step 2');
    ctx.warn('create warning');
    return { ...state, created: true };
  },
  async start() {},
  async stop() {},
  async restart() {},
  async kill() {},
  async remove() {},
  async getState(_ctx, state) {
    if (state.mode === 'missing' || Object.keys(state).length === 0) return 'Not Found';
    if (state.mode === 'state-error') throw new DriverError('unavailable', 'cloud is down');
    return 'Running';
  },
  async getIP() {
    return '10.0.0.9';
  },
  async getSSHInfo(ctx) {
    // Echoes the recorded host key back, so one call shows both fields cross the wire.
    return { host: '10.0.0.9', port: 22, user: 'root', keyPath: `${ctx.machine.machineDir}/id_rsa`, ...(ctx.machine.sshHostKey ? { hostKey: ctx.machine.sshHostKey } : {}) };
  },
  upgradeState(_ctx, state, from) {
    return { mode: String(state.mode ?? 'ok'), delayMs: 0, upgradedFrom: from };
  },
};

export function main(): void {
  void serveDriver(miniDriver);
}

if (require.main === module) main();
