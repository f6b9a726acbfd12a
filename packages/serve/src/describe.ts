/** Errors in one line for status messages: a TaskError shows what the user's code threw. */
import { TaskError } from "lux";

export function describeCause(e: unknown): string {
  if (e instanceof TaskError && e.cause !== undefined) return describeCause(e.cause);
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0] ?? ""}`;
  return String(e);
}
