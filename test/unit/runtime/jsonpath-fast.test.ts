import { evaluateSimplePath, installJsonPathFastPath, originalJsonPath, simplePathSegments } from '../../../local/runtime/sfn/jsonpath-fast';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jp = () => (require('jsonpath-plus') as { JSONPath: (...a: unknown[]) => unknown }).JSONPath;

const docs: unknown[] = [
  { a: 1, b: { c: 'x', d: null, e: 0, f: false, g: '', h: [1, 2, { i: 3 }], j: {} }, s: 'text', arr: [], n: null, _u: { v_1: true } },
  [1, 2, 3],
  [],
  {},
  'a string',
  '',
  0,
  7,
  false,
  true,
  null,
];
const paths = ['$', '$.a', '$.b', '$.b.c', '$.b.d', '$.b.d.x', '$.b.e', '$.b.f', '$.b.g', '$.b.h', '$.b.h.length', '$.b.j', '$.s', '$.s.length', '$.arr', '$.arr.length', '$.n', '$.n.x', '$.missing', '$.missing.deeper', '$._u.v_1', '$.length', '$.constructor', '$.toString', '$.__proto__'];

describe('jsonpath fast path (plain dotted paths)', () => {
  beforeAll(() => installJsonPathFastPath());

  it('recognises only plain dotted paths', () => {
    expect(simplePathSegments('$')).toEqual([]);
    expect(simplePathSegments('$.a.b_c')).toEqual(['a', 'b_c']);
    for (const p of ['$.a[0]', '$..a', '$.a.*', "$['a']", '$.a-b', '$.', '$.a.', 'a', '$$.a', '$.a.$', '$.1a', '$.a~']) expect(simplePathSegments(p)).toBeNull();
  });

  it('answers exactly as jsonpath-plus for every path and document', () => {
    const original = originalJsonPath();
    for (const json of docs)
      for (const path of paths) {
        const want = original({ path, json, wrap: false });
        const segs = simplePathSegments(path)!;
        expect({ path, json, got: evaluateSimplePath(json, segs) }).toEqual({ path, json, got: want });
        expect({ path, json, got: jp()({ path, json, wrap: false }) }).toEqual({ path, json, got: want });
      }
  });

  it('leaves other paths and options to jsonpath-plus', () => {
    const json = { a: [{ b: 1 }, { b: 2 }], c: { 'd.e': 5 } };
    expect(jp()({ path: '$.a[*].b', json, wrap: false })).toEqual([1, 2]);
    expect(jp()({ path: "$.c['d.e']", json, wrap: false })).toBe(5);
    expect(jp()({ path: '$.a', json })).toEqual([[{ b: 1 }, { b: 2 }]]);
    expect(jp()({ path: '$.a', json, wrap: false, resultType: 'path' })).toBe("$['a']");
    const Ctor = jp() as unknown as new (o: unknown) => unknown;
    expect(new Ctor({ path: '$.a[0]', json, wrap: false })).toEqual({ b: 1 });
    expect(new Ctor({ path: '$.a', json, autostart: false })).toBeInstanceOf(Ctor);
  });
});
