// y/n confirmation, the reference's way: an answer starting with y or Y is yes.
import * as readline from 'node:readline';
import { MachineError } from '../errors';

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY && process.stdin.readableEnded) {
    throw new MachineError('usage', 'Error: no answer on standard input; pass -y (or -f) to confirm without a prompt');
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('close', () => resolve(undefined));
      rl.question(question, resolve);
    });
    if (answer === undefined) throw new MachineError('usage', 'Error: no answer on standard input; pass -y (or -f) to confirm without a prompt');
    return /^y/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
