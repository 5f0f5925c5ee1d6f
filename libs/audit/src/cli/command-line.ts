import { DEFAULT_MASKED_FIELD_PATTERN } from '../audit-options';

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** `text` with the password of every URL in it replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}

/**
 * The command line as recorded in the events a command causes: secrets left out (the value of
 * any option whose name looks like a secret, and passwords in URLs), shell-quoted.
 */
export function recordedCommandLine(args: string[]): string {
  const out: string[] = ['audit-ledger'];
  let maskNext = false;
  for (const arg of args) {
    if (maskNext) {
      out.push('***');
      maskNext = false;
      continue;
    }
    const option = /^(--?[^=]+)(=.*)?$/.exec(arg);
    if (option && DEFAULT_MASKED_FIELD_PATTERN.test(option[1])) {
      if (option[2] !== undefined) out.push(`${option[1]}=***`);
      else {
        out.push(option[1]);
        maskNext = true;
      }
      continue;
    }
    out.push(quote(redactUrls(arg)));
  }
  return out.join(' ');
}
