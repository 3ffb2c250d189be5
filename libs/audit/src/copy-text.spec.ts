import { copyText } from './copy-text.js';

describe('copyText', () => {
  it('writes null and undefined as \\N', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(undefined)).toBe('\\N');
  });

  it('leaves ordinary text alone, including a literal "\\N" spelled with a backslash escaped', () => {
    expect(copyText('corp:alice')).toBe('corp:alice');
    expect(copyText('{"reason":"ticket \\u00e9 #42"}')).toBe('{"reason":"ticket \\\\u00e9 #42"}');
    expect(copyText('\\N')).toBe('\\\\N');
  });

  it('escapes every character that could end a column or a row, or the data', () => {
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText('\\.')).toBe('\\\\.');
    expect(copyText('\n\\.\n')).toBe('\\n\\\\.\\n');
  });

  it('keeps non-ASCII text as it is', () => {
    expect(copyText('zoë 🔑')).toBe('zoë 🔑');
  });
});
