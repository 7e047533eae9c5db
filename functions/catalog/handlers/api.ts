import { notImplemented } from '../../shared/http';

/** Not built yet: answers 501 with a clear message (see README "What is built"). */
export const handler = notImplemented('the catalog API');
