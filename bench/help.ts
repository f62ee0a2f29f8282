/** SPEC §8: `jl-edge --help` against `node -e 0`, both started the way cron starts them. Target ratio ≤ 2.0. */
import { cronEnvironment, type Benchmark } from './harness.js';

export const helpBenchmark: Benchmark = {
  name: '--help',
  targetRatio: 2.0,
  describe: () => 'start-up and usage text',
  fixedSize: true,
  async prepare() {},
  async reference(ctx) {
    return { command: process.execPath, args: ['-e', '0'], cwd: ctx.workDir, env: cronEnvironment(ctx.workDir) };
  },
  async subject(ctx) {
    return {
      command: process.execPath,
      args: [ctx.bin, '--help'],
      cwd: ctx.workDir,
      env: cronEnvironment(ctx.workDir),
    };
  },
};
