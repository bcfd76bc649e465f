/**
 * Request bytes as a list of pieces, where a long run is written `{ repeat, times }`: fast-check prints
 * counterexamples as they are, and "70,000 times 'a/'" is a readable reproduction where the 70 KB it stands
 * for is not. Strings are latin1 byte strings (one character per byte), so any byte can be expressed.
 */
export type Piece = string | { repeat: string; times: number };

export function repeat(text: string, times: number): Piece {
  return { repeat: text, times };
}

/** The bytes the pieces stand for, as a latin1 string. */
export function joinPieces(pieces: readonly Piece[]): string {
  return pieces
    .map((piece) => (typeof piece === 'string' ? piece : piece.repeat.repeat(piece.times)))
    .join('');
}

export function piecesLength(pieces: readonly Piece[]): number {
  return pieces.reduce((sum, p) => sum + (typeof p === 'string' ? p.length : p.repeat.length * p.times), 0);
}

/** The first `length` bytes, still in pieces (a run cut short stays a run). */
export function cutPieces(pieces: readonly Piece[], length: number): Piece[] {
  const kept: Piece[] = [];
  let left = length;
  for (const piece of pieces) {
    if (left <= 0) break;
    if (typeof piece === 'string') {
      kept.push(piece.slice(0, left));
      left -= piece.length;
    } else {
      const whole = Math.min(piece.times, Math.floor(left / piece.repeat.length));
      if (whole > 0) kept.push(repeat(piece.repeat, whole));
      left -= whole * piece.repeat.length;
      if (whole < piece.times && left > 0) kept.push(piece.repeat.slice(0, left));
      if (whole < piece.times) break;
    }
  }
  return kept;
}

/** For failure messages: the bytes escaped as JSON, with the middle of anything long left out. */
export function preview(bytes: string | Buffer, max = 600): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const shown =
    text.length <= max
      ? text
      : `${text.slice(0, max / 2)}<... ${text.length - max} bytes ...>${text.slice(-max / 2)}`;
  return JSON.stringify(shown);
}
