import { NotImplementedError } from '../../shared/errors';

/** Not built yet (see README "What is built"). */
export const handler = async (_event: unknown): Promise<never> => {
  throw new NotImplementedError('the order outbox relay is not implemented yet');
};
