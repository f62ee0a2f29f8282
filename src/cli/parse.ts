import { CommanderError } from 'commander';
import { ExitCode } from '../core/errors.js';

export function parseWholeNumberOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new CommanderError(ExitCode.usage, 'jl-edge.invalidArgument', `"${value}" is not a whole number`);
  return Number(value);
}
