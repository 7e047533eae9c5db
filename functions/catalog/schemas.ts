import { z } from 'zod';

/**
 * Catalog contracts: HTTP request/response schemas (also read by the manifest for OpenAPI and
 * API Gateway request validation) and the Kafka event schema. Only zod here, so the manifest can
 * import this file without pulling in any client.
 */
export const MAX_Q_LENGTH = 200;
export const MAX_PRICE = 1_000_000;
export const SEARCH_PAGE_SIZE_MAX = 50;
/** OpenSearch index.max_result_window: from + size past it is refused by the engine. */
export const MAX_RESULT_WINDOW = 10_000;

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(5000);
const category = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 &'.-]*$/, 'ASCII letters, digits, spaces and & \' . - only');
const price = z.number().finite().nonnegative().max(MAX_PRICE);
const expectedVersion = z.number().int().positive();
export const ProductIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 of A-Z a-z 0-9 _ -');

export const ProductIdParams = z.object({ id: ProductIdSchema });

export const CreateProductBody = z
  .object({
    productId: ProductIdSchema.optional(),
    name,
    description: description.default(''),
    category,
    price,
    popularity: z.number().int().nonnegative().max(1e9).default(0),
    inStock: z.boolean().default(true),
  })
  .strict();
export type CreateProductInput = z.infer<typeof CreateProductBody>;

export const UpdateDetailsBody = z
  .object({
    expectedVersion,
    name: name.optional(),
    description: description.optional(),
    category: category.optional(),
    inStock: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.description !== undefined || b.category !== undefined || b.inStock !== undefined, {
    message: 'at least one of name, description, category, inStock',
    path: ['name'],
  });
export const ChangePriceBody = z.object({ expectedVersion, price }).strict();
export const AdjustPopularityBody = z.object({ expectedVersion, delta: z.number().int().min(-1e9).max(1e9) }).strict();
export const RetireBody = z.object({ expectedVersion, reason: z.string().max(500).optional() }).strict();

/** A number in a query string: digits with an optional fraction, nothing else (no 1e9, no hex). */
const queryNumber = z
  .string()
  .trim()
  .regex(/^-?\d{1,9}(\.\d{1,2})?$/, 'a number with at most 2 decimals')
  .transform(Number)
  .pipe(z.number().nonnegative().max(MAX_PRICE));

export const SEARCH_SORTS = ['relevance', 'price_asc', 'price_desc', 'popularity', 'newest'] as const;
export const SearchQuery = z
  .object({
    q: z.string().max(MAX_Q_LENGTH, `at most ${MAX_Q_LENGTH} characters`).optional(),
    category: category.optional(),
    minPrice: queryNumber.optional(),
    maxPrice: queryNumber.optional(),
    sort: z.enum(SEARCH_SORTS).default('relevance'),
    page: z.string().regex(/^\d{1,5}$/, 'a positive integer').transform(Number).pipe(z.number().int().min(1)).default(1),
    size: z.string().regex(/^\d{1,3}$/, 'a positive integer').transform(Number).pipe(z.number().int().min(1).max(SEARCH_PAGE_SIZE_MAX)).default(20),
  })
  .superRefine((v, ctx) => {
    if (v.minPrice !== undefined && v.maxPrice !== undefined && v.minPrice > v.maxPrice) {
      ctx.addIssue({ code: 'custom', path: ['minPrice'], message: 'minPrice must not exceed maxPrice' });
    }
    if (v.page * v.size > MAX_RESULT_WINDOW) {
      ctx.addIssue({ code: 'custom', path: ['page'], message: `page * size must not exceed ${MAX_RESULT_WINDOW}` });
    }
  });
export type SearchInput = z.infer<typeof SearchQuery>;

export const ListProductsQuery = z.object({
  category,
  cursor: z.string().max(512).regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from a previous page').optional(),
  limit: z.string().regex(/^\d{1,3}$/, 'a positive integer').transform(Number).pipe(z.number().int().min(1).max(100)).default(20),
});
export type ListProductsInput = z.infer<typeof ListProductsQuery>;

// ---- responses ----------------------------------------------------------------------------------
export const ProductView = z.object({
  productId: z.string(),
  version: z.number().int(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  price: z.number(),
  popularity: z.number().int(),
  inStock: z.boolean(),
  status: z.enum(['active', 'retired']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ProductViewT = z.infer<typeof ProductView>;

export const CommandResult = z.object({ productId: z.string(), version: z.number().int(), eventType: z.string() });
export const ProductPage = z.object({ items: z.array(ProductView), nextCursor: z.string().nullable() });
export const SearchResult = z.object({
  total: z.number().int(),
  page: z.number().int(),
  size: z.number().int(),
  items: z.array(ProductView.extend({ score: z.number().nullable() })),
  facets: z.object({
    categories: z.array(z.object({ value: z.string(), count: z.number().int() })),
    priceRanges: z.array(z.object({ key: z.string(), from: z.number().nullable(), to: z.number().nullable(), count: z.number().int() })),
  }),
});
export type SearchResultT = z.infer<typeof SearchResult>;
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }),
});

// ---- the Kafka contract (topic catalog-events, key = productId) --------------------------------
/** `data` of the envelope on `catalog-events` (envelope.version = 1). Carries the state after the
 * event so the projector is order-independent (latest version wins). */
export const CatalogEventData = z.object({
  productId: z.string(),
  version: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  change: z.record(z.string(), z.unknown()),
  state: ProductView,
});
export type CatalogEventDataT = z.infer<typeof CatalogEventData>;
