import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { isEmail, ValidateBy, type ValidationOptions } from 'class-validator';

// NUL cannot be stored in PostgreSQL text (the statement fails) and a lone UTF-16 surrogate is
// not Unicode (it would be stored as U+FFFD): both are refused as input, never reach SQL.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` is a string without NUL or lone surrogates. */
export const isSafeText = (value: unknown): value is string =>
  typeof value === 'string' && !value.includes('\u0000') && !LONE_SURROGATE.test(value);

/** class-validator: a string without NUL or lone surrogates. */
export function IsSafeText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeText',
      validator: {
        validate: isSafeText,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must not contain NUL or lone surrogate characters`,
      },
    },
    options,
  );
}

/**
 * class-validator: an e-mail address, checked for NUL and lone surrogates first: `isEmail` throws
 * a URIError on a lone surrogate, which would otherwise answer a 500.
 */
export function IsSafeEmail(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeEmail',
      validator: {
        validate: (value: unknown) => isSafeText(value) && isEmail(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an email`,
      },
    },
    options,
  );
}

/** For a plain string argument: at most `maxLength` characters, without NUL or lone surrogates. */
export class SafeTextPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly name: string,
    private readonly maxLength: number,
  ) {}

  transform(value: unknown): string {
    if (!isSafeText(value) || value.length > this.maxLength)
      throw new BadRequestException(
        `${this.name} must be at most ${this.maxLength} characters, without NUL or lone surrogates`,
      );
    return value;
  }
}
