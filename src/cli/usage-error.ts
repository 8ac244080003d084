/** A command given wrong arguments: main prints the message and the usage, exit code 1. */
export class UsageError extends Error {}
