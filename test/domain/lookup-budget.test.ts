import { expect } from 'chai';
import fc from 'fast-check';
import { jsonStringBytes } from '../../service/domain/lookup-budget.js';

describe('jsonStringBytes', () => {
  it('when any text is measured, then the answer is the UTF-8 size of its JSON string, quotes included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(jsonStringBytes(text)).to.equal(Buffer.byteLength(JSON.stringify(text), 'utf8'));
      }),
      { numRuns: 2000 },
    );
  });

  it('when text needs escaping, then each escape counts as JSON writes it', () => {
    expect(jsonStringBytes('plain')).to.equal(7);
    expect(jsonStringBytes('é漢🎉')).to.equal(2 + 2 + 3 + 4);
    expect(jsonStringBytes('"\\\n\u0001')).to.equal(2 + 2 + 2 + 2 + 6);
    expect(jsonStringBytes('\ud800')).to.equal(2 + 6);
  });
});
