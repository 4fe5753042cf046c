import { inflateSync } from 'node:zlib';
import { PDFDocument, PDFRawStream } from 'pdf-lib';

/**
 * The text drawn on every page of a PDF, one string per text operation, in order. Reads what
 * pdf-lib writes (standard-font text as hex strings in Flate-compressed content streams); decoded
 * as Latin-1, which matches WinAnsi for the letters used here (é, è, à...).
 */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const doc = await PDFDocument.load(bytes);
  const parts: string[] = [];
  for (const page of doc.getPages()) {
    const contents = page.node.Contents();
    const streams = contents && 'asArray' in contents ? contents.asArray() : [contents];
    for (const ref of streams) {
      const stream = doc.context.lookup(ref as never);
      if (!(stream instanceof PDFRawStream)) continue;
      const raw = Buffer.from(stream.contents);
      const decoded = stream.dict.toString().includes('FlateDecode') ? inflateSync(raw) : raw;
      for (const [, hex] of decoded.toString('latin1').matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) {
        parts.push(Buffer.from(hex as string, 'hex').toString('latin1'));
      }
    }
  }
  return parts.join('\n');
}
