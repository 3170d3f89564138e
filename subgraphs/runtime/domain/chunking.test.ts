import { chunkText } from './chunking.ts';

describe('chunkText', () => {
  it('keeps short paragraphs whole and normalizes whitespace', () => {
    expect(chunkText('Refunds take  five days.\nAlways.\n\n  Shipping is free. ')).toEqual(['Refunds take five days. Always.', 'Shipping is free.']);
  });

  it('packs long paragraphs sentence by sentence', () => {
    expect(chunkText('One two three. Four five six. Seven.', 5)).toEqual(['One two three.', 'Four five six. Seven.']);
  });

  it('cuts a sentence longer than the limit into word windows', () => {
    expect(chunkText('a b c d e f g h', 3)).toEqual(['a b c', 'd e f', 'g h']);
  });

  it('returns no chunks for blank text', () => {
    expect(chunkText(' \n\n ')).toEqual([]);
  });
});
