import { z } from 'zod';
import { loadConfig } from '../shared/config';

/** bcrypt's cost below this only where nothing real is stored: STAGE unset (unit tests) or 'local'. */
export const MIN_DEPLOYED_BCRYPT_COST = 10;

export const UserConfigSchema = z
  .object({
    /** bcrypt cost factor (2^cost rounds). @default 12 */
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
    STAGE: z.string().optional(),
  })
  .refine((c) => c.BCRYPT_COST >= MIN_DEPLOYED_BCRYPT_COST || c.STAGE === undefined || c.STAGE === 'local', {
    message: `must be at least ${MIN_DEPLOYED_BCRYPT_COST} on a deployed stage (below that only with STAGE unset or 'local')`,
    path: ['BCRYPT_COST'],
  });
export type UserConfig = z.infer<typeof UserConfigSchema>;

export function userConfig(env: NodeJS.ProcessEnv = process.env): UserConfig {
  return loadConfig(UserConfigSchema, env);
}
