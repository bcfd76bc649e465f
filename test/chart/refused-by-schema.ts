/**
 * What a render refused by values.schema.json throws: Helm's heading, then (the Go renderer's addition, since
 * Helm's validator names only the keyword that failed) the chart rule the values break, by its description.
 */
export function refusedBySchema(rule: string): RegExp {
  const escaped = rule.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`values don't meet the specifications of the schema\\(s\\)[\\s\\S]*\\n- ${escaped}`);
}
