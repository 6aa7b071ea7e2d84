// The words after `machine ssh`, split the way a user means them:
//   machine ssh [GLOBAL FLAGS] NAME [SSH OPTIONS] [--] [COMMAND...]
// Flags before the name are the CLI's own (--native-ssh=false among them),
// options between the name and the command are OpenSSH's, and the remote
// command starts at `--` or at the first word that is not an option.
// Hand-written rather than taken from an option-parsing library because the
// grammar is OpenSSH's own (bundled letters, attached or separate values),
// which getopt-style parsers for Node do not model without a full table anyway.

/** OpenSSH client options that take a value (ssh(1)). */
const SSH_VALUE_LETTERS = new Set('BbcDEeFIiJLlmOoPpQRSWw');
/** OpenSSH client options that stand alone. */
const SSH_FLAG_LETTERS = new Set('46AaCfGgKkMNnqsTtVvXxYy');

export interface SshCommandLine {
  /** The CLI's global flags typed before the machine name, spelled as the flag parser expects. */
  globals: string[];
  /** The machine's name; absent when only flags were typed (the default machine). */
  name?: string;
  /** OpenSSH options typed after the name, for the ssh client. */
  sshOptions: string[];
  /** The remote command, empty for an interactive shell. */
  command: string[];
}

export class SshUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshUsageError';
  }
}

/** The reference's negation spelling (--flag=false) as the parser's (--no-flag). */
export function normaliseBooleanFlag(word: string): string {
  return word.replace(/^--([a-z-]+)=(false|0)$/i, '--no-$1').replace(/^--([a-z-]+)=(true|1)$/i, '--$1');
}

/**
 * Splits the words after "ssh". `valueFlags` are the CLI's global flags that
 * take a separate value word (-s PATH).
 */
export function parseSshCommandLine(words: string[], valueFlags: ReadonlySet<string>): SshCommandLine {
  const globals: string[] = [];
  let i = 0;
  while (i < words.length && words[i].startsWith('-') && words[i] !== '--') {
    if (valueFlags.has(words[i])) {
      globals.push(words[i], ...(i + 1 < words.length ? [words[i + 1]] : []));
      i += 2;
    } else {
      globals.push(normaliseBooleanFlag(words[i]));
      i += 1;
    }
  }
  if (words[i] === '--') i++;
  if (i >= words.length) return { globals, sshOptions: [], command: [] };
  const name = words[i++];

  const sshOptions: string[] = [];
  while (i < words.length && words[i].startsWith('-') && words[i] !== '--' && words[i] !== '-') {
    const word = words[i++];
    sshOptions.push(word);
    for (let at = 1; at < word.length; at++) {
      const letter = word[at];
      if (SSH_VALUE_LETTERS.has(letter)) {
        if (at === word.length - 1) {
          if (i >= words.length) throw new SshUsageError(`The ssh option -${letter} needs a value.`);
          sshOptions.push(words[i++]);
        }
        break;
      }
      if (!SSH_FLAG_LETTERS.has(letter)) {
        throw new SshUsageError(`Unknown ssh option "${word}". Put "--" before a remote command that starts with a dash: machine ssh ${name} -- ${word}`);
      }
    }
  }
  if (words[i] === '--') i++;
  return { globals, name, sshOptions, command: words.slice(i) };
}
