import { parse } from 'graphql';
import { queryShapes } from './query-shape';

describe('queryShapes', () => {
  it('counts depth and selections through fields, inline and named fragments', () => {
    const shapes = queryShapes(
      parse(`query Q { a { b { c } ... on T { d } } ...F __typename }
             fragment F on Query { e { f } }`),
      1000,
    );
    expect(shapes.get('Q')).toEqual({ depth: 2, selections: 6 });
  });

  it('ends on cyclic and unknown fragments', () => {
    const shapes = queryShapes(
      parse('{ ...A ...Missing } fragment A on Query { a ...B } fragment B on Query { b ...A }'),
      1000,
    );
    expect(shapes.get('')).toEqual({ depth: 0, selections: 2 });
  });

  it('expands a fragment bomb in linear time, capped', () => {
    const n = 40;
    const fragments = Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Query { ${i === n - 1 ? 'a' : `...F${i + 1} ...F${i + 1}`} }`,
    );
    const document = parse(`{ ...F0 } ${fragments.join(' ')}`);
    expect(queryShapes(document, 5000).get('')).toEqual({ depth: 0, selections: 5000 });
  });
});
