// y/n confirmation, the reference's way: an answer starting with y or Y is yes.
import * as readline from 'node:readline';
import { MachineError } from '../errors';

/** `skipWith`: the flags that answer yes without asking, as the command's help names them ("-y (or -f)"). */
export async function confirm(question: string, skipWith: string): Promise<boolean> {
  const noAnswer = () => new MachineError('usage', `Error: no answer on standard input; pass ${skipWith} to confirm without a prompt`);
  if (!process.stdin.isTTY && process.stdin.readableEnded) throw noAnswer();
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('close', () => resolve(undefined));
      rl.question(question, resolve);
    });
    if (answer === undefined) throw noAnswer();
    return /^y/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
