// A markdownlint rule: every fenced code block ends where its writer meant it to. CommonMark closes a fence only
// with a fence of the same character and at least the same length and no info string, so "````sh" closed by
// "```" (or by "``` text") runs on to the next "````" or the end of the file, and GitHub shows everything in
// between as code. No built-in rule reports that. So: a fence that is never closed, or a code block with a line
// that looks like a fence, is an error. (A document that shows Markdown inside a longer fence would need to
// turn this off for that block.)

const FENCE_LIKE = /^\s{0,3}(`{3,}|~{3,})/;

/** @type {import('markdownlint').Rule} */
export default {
  names: ['closed-code-fences'],
  description: 'Fenced code block does not end where it seems to',
  tags: ['code'],
  parser: 'micromark',
  function(params, onError) {
    const fences = params.parsers.micromark.tokens.filter((token) => token.type === 'codeFenced');
    for (const fence of fences) {
      const ends = fence.children.filter((child) => child.type === 'codeFencedFence');
      if (ends.length < 2) {
        onError({
          lineNumber: fence.startLine,
          detail: 'never closed: the rest of the file renders as code',
        });
      }
      for (const line of fence.children.filter((child) => child.type === 'codeFlowValue')) {
        if (FENCE_LIKE.test(line.text)) {
          onError({
            lineNumber: line.startLine,
            detail: `a fence inside the block opened on line ${fence.startLine}`,
          });
        }
      }
    }
  },
};
