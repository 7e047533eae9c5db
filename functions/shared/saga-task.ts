import { z } from 'zod';
import { DomainError, TransientError, ValidationError, isTransientInfraError } from './errors';
import { zodIssues } from './http';
import { logger } from './powertools';

/**
 * The adapter for a saga task Lambda (one per service): the state machine calls it with
 * `{ action, ...fields }` (the `Payload` of arn:aws:states:::lambda:invoke). It parses the payload
 * with the action's schema, runs the use case and returns its result; errors propagate to Step
 * Functions, whose Retry/Catch match on the error NAME. Bundles are minified, so the name is set
 * from an explicit table here instead of trusting the class name.
 */
export type TaskActions = Record<string, { readonly schema: z.ZodType; readonly run: (input: never) => Promise<unknown> }>;

/**
 * Error names the ASL matches on. Saga error classes set `this.name` to a string literal (survives
 * minification); the shared TransientError takes its name from the class, so it is fixed here.
 */
export function sagaErrorName(err: unknown): string | undefined {
  if (err instanceof TransientError) return 'TransientError';
  if (err instanceof DomainError) return err.name;
  return undefined;
}

export { isTransientInfraError } from './errors';

export function taskHandler(service: string, actions: TaskActions): (event: unknown) => Promise<unknown> {
  const names = Object.keys(actions) as [string, ...string[]];
  const envelope = z.object({ action: z.enum(names) }).passthrough();
  return async (event: unknown) => {
    const head = envelope.safeParse(event);
    if (!head.success) throw new ValidationError(`${service} task: ${zodIssues(head.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`, zodIssues(head.error));
    const action = actions[head.data.action]!;
    const input = action.schema.safeParse(event);
    if (!input.success) {
      const issues = zodIssues(input.error);
      throw new ValidationError(`${service}.${head.data.action}: invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    try {
      return await action.run(input.data as never);
    } catch (caught) {
      const err = !(caught instanceof DomainError) && isTransientInfraError(caught) ? new TransientError(`${service}.${head.data.action}: ${(caught as Error).message}`) : caught;
      const name = sagaErrorName(err);
      if (name && err instanceof Error) err.name = name;
      logger.info(`${service}.${head.data.action} failed`, { error: (err as Error).name, errorMessage: (err as Error).message });
      throw err;
    }
  };
}
