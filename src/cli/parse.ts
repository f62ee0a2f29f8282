import { InvalidArgumentError } from 'commander';

export function parseWholeNumberOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
}
