import type { ProductState } from '../../functions/catalog/domain/product';

/**
 * Realistic, deterministic product data for seeding and benchmarks: names from brand + adjective +
 * noun per category, descriptions from materials and features, log-normal prices per category and
 * heavy-tailed popularity.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CATALOG: Record<string, { nouns: string[]; median: number }> = {
  electronics: { nouns: ['headphones', 'speaker', 'charger', 'keyboard', 'mouse', 'monitor', 'webcam', 'router', 'earbuds', 'tablet'], median: 80 },
  kitchen: { nouns: ['kettle', 'toaster', 'blender', 'skillet', 'knife', 'teapot', 'mixer', 'grinder', 'saucepan', 'colander'], median: 35 },
  furniture: { nouns: ['chair', 'desk', 'bookshelf', 'sofa', 'stool', 'wardrobe', 'bench', 'nightstand', 'table', 'dresser'], median: 220 },
  lighting: { nouns: ['lamp', 'lantern', 'pendant', 'sconce', 'bulb', 'chandelier', 'nightlight', 'spotlight'], median: 45 },
  garden: { nouns: ['planter', 'hose', 'trowel', 'rake', 'sprinkler', 'birdhouse', 'shears', 'wheelbarrow'], median: 30 },
  toys: { nouns: ['puzzle', 'robot', 'plush', 'train', 'blocks', 'kite', 'doll', 'racecar'], median: 25 },
  sports: { nouns: ['racket', 'ball', 'helmet', 'yoga mat', 'dumbbell', 'skateboard', 'tent', 'backpack'], median: 50 },
  books: { nouns: ['cookbook', 'novel', 'atlas', 'journal', 'guide', 'anthology', 'workbook'], median: 18 },
  beauty: { nouns: ['serum', 'shampoo', 'brush', 'moisturizer', 'perfume', 'soap', 'mirror'], median: 22 },
  clothing: { nouns: ['jacket', 'sweater', 'scarf', 'boots', 'shirt', 'hat', 'gloves', 'socks'], median: 40 },
  pets: { nouns: ['leash', 'bowl', 'bed', 'collar', 'aquarium', 'scratcher', 'carrier'], median: 28 },
  office: { nouns: ['stapler', 'notebook', 'pen', 'organizer', 'whiteboard', 'binder', 'calculator'], median: 15 },
};
export const CATEGORIES = Object.keys(CATALOG);
const BRANDS = ['Acme', 'Nordhaus', 'Luma', 'Kestrel', 'Orchard', 'Tidewater', 'Brightline', 'Fjord', 'Copperleaf', 'Summit', 'Pebble', 'Vireo', 'Halcyon', 'Marlow', 'Quill'];
const ADJECTIVES = ['compact', 'wireless', 'classic', 'ergonomic', 'portable', 'deluxe', 'vintage', 'smart', 'foldable', 'rustic', 'modern', 'heavy-duty', 'eco', 'premium', 'mini', 'walnut', 'ceramic', 'steel', 'bamboo', 'waterproof'];
const MATERIALS = ['recycled aluminium', 'solid oak', 'organic cotton', 'stainless steel', 'tempered glass', 'natural rubber', 'bamboo fibre', 'full-grain leather', 'BPA-free plastic', 'hand-blown glass'];
const FEATURES = ['a two-year warranty', 'free returns', 'a soft-touch finish', 'dishwasher-safe parts', 'a travel pouch', 'replaceable parts', 'a quiet motor', 'long battery life', 'an adjustable height', 'a minimalist design'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Product i of a run: the same (seed, i) always gives the same product. */
export function generateProduct(r: () => number, id: string, now = Date.now()): ProductState {
  const category = pick(r, CATEGORIES);
  const spec = CATALOG[category]!;
  const noun = pick(r, spec.nouns);
  const adj = pick(r, ADJECTIVES);
  const brand = pick(r, BRANDS);
  // log-normal around the category median
  const g = Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r());
  const price = Math.max(0.99, Math.round(spec.median * Math.exp(0.6 * g) * 100) / 100);
  const popularity = Math.floor(1000 / Math.pow(1 + r() * 999, 0.9));
  const created = new Date(now - Math.floor(r() * 365 * 24 * 3600 * 1000)).toISOString();
  return {
    productId: id,
    version: 1,
    name: `${brand} ${adj} ${noun}`,
    description: `A ${adj} ${noun} made of ${pick(r, MATERIALS)}, with ${pick(r, FEATURES)} and ${pick(r, FEATURES)}.`,
    category,
    price,
    popularity,
    inStock: r() < 0.9,
    status: 'active',
    createdAt: created,
    updatedAt: created,
  };
}
