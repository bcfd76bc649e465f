/** The heading Helm (3.0 to 3.17, gojsonschema) puts above the validator's lines, for this chart. */
export const SCHEMA_REFUSAL_HEADING =
  "values don't meet the specifications of the schema(s) in the following chart(s):\nshaservice:";

/**
 * What a render refused by values.schema.json throws: Helm's heading, then the validator's own lines
 * (`- field: description`), one of which is `line`. Only those lines: they are all a Helm user reads.
 */
export function refusedBySchema(line: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escape(SCHEMA_REFUSAL_HEADING)}\\n(?:- .*\\n)*- ${escape(line)}$`, 'm');
}

/** The message of a render refused by values.schema.json, from Helm's heading to its last line. */
export function schemaRefusal(render: () => unknown): string {
  try {
    render();
  } catch (error) {
    const message = (error as Error).message;
    const start = message.indexOf(SCHEMA_REFUSAL_HEADING);
    if (start >= 0) return message.slice(start).trimEnd();
    throw error;
  }
  throw new Error('the render was not refused');
}
