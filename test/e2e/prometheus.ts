export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An instant query through Prometheus' HTTP API (/api/v1/query), as a list of labelled numbers. */
export async function queryPrometheus(prometheusUrl: string, promql: string): Promise<Sample[]> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
  return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
}

/** One number per `instance` label (a replica's metrics address). */
export async function byInstance(prometheusUrl: string, promql: string): Promise<Map<string, number>> {
  const samples = await queryPrometheus(prometheusUrl, promql);
  return new Map(samples.map((sample) => [sample.metric.instance ?? '', sample.value]));
}
