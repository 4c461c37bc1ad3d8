/** Exit codes are part of the interface: scripts and tests tell failures apart by them. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  input: 4,
  system: 5,
  lock: 6,
  problems: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error we expect and explain in one line; it carries the exit code the program ends with. */
export class PinError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong command line: unknown command or option, missing argument. */
export class UsageError extends PinError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The config file is unreadable, unsafe or invalid; `where` is "file:line" when known. */
export class ConfigError extends PinError {
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message, ExitCode.config);
  }
}

/** pppd's hook input (PPP_* environment or positional arguments) is missing or malformed. */
export class InputError extends PinError {
  constructor(message: string) {
    super(message, ExitCode.input);
  }
}

/** A system tool failed or is missing; nothing was applied by the failing step. */
export class SystemError extends PinError {
  constructor(message: string) {
    super(message, ExitCode.system);
  }
}

/** Another pin-hooks run held the global lock for too long. */
export class LockError extends PinError {
  constructor(message: string) {
    super(message, ExitCode.lock);
  }
}
