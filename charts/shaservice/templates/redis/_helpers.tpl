{{/* Helpers of the chart's own Redis only; those the API's templates share stay in ../_helpers.tpl. */}}

{{- define "shaservice.redisImage" -}}
{{- printf "%s:%s" .Values.redis.image.repository (include "shaservice.imageTag" .Values.redis.image.tag) }}
{{- end }}

{{/* The env of the chart's Redis and sentinel containers. */}}
{{- define "shaservice.redisServerEnv" -}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "shaservice.redisPasswordSecret" . }}
      key: {{ include "shaservice.redisPasswordKey" . }}
# redis-cli in the probes reads the password from here, so it is never on a command line.
- name: REDISCLI_AUTH
  valueFrom:
    secretKeyRef:
      name: {{ include "shaservice.redisPasswordSecret" . }}
      key: {{ include "shaservice.redisPasswordKey" . }}
{{- if eq .Values.redis.architecture "sentinel" }}
# The start scripts name the pod in the group by its stable DNS name.
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end }}
{{- end }}

{{/*
Bytes of a Kubernetes memory quantity (512Mi, 1Gi, 500M, 1.5Gi, 536870912), as an integer: Sprig has no
quantity parser. Forms a memory limit has no use for (milli, exponents like 5e8) fail the render rather than
being guessed. Takes (list "the.value.name" quantity), the name for the message.
*/}}
{{- define "shaservice.bytes" -}}
{{- $name := index . 0 }}
{{- $quantity := index . 1 }}
{{- $text := kindIs "float64" $quantity | ternary (printf "%.0f" $quantity) (toString $quantity) }}
{{- $number := regexFind `^[0-9]+(\.[0-9]+)?` $text }}
{{- $suffix := trimPrefix $number $text }}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 }}
{{- if or (not $number) (not (hasKey $units $suffix)) }}
{{- fail (printf "%s: %q is not a memory quantity the chart reads (bytes, or a number with k, M, G, T, P, Ki, Mi, Gi, Ti or Pi, e.g. 512Mi)" $name $text) }}
{{- end }}
{{- mulf $number (get $units $suffix) | floor | int64 }}
{{- end }}

{{/*
Redis's maxmemory in bytes, or nothing. Redis counts only its dataset and overhead against maxmemory, while
the container's limit counts everything: allocator fragmentation, the copy-on-write pages of the child it forks
to rewrite the AOF or to send a full sync to a replica, replica and client output buffers, and the process
itself. So maxmemory is 70% of the limit, leaving 30% for those. Reaching maxmemory with noeviction makes Redis
refuse writes (the API answers 503, reads go on); reaching the limit gets it killed, and it is killed again
while it replays the AOF on start. redis.maxmemory sets it outright (and must be below the limit).
*/}}
{{- define "shaservice.redisMaxmemory" -}}
{{- $limit := dig "limits" "memory" "" .Values.redis.resources }}
{{- $limitBytes := 0 }}
{{- if $limit }}
{{- $limitBytes = include "shaservice.bytes" (list "redis.resources.limits.memory" $limit) | int64 }}
{{- end }}
{{- $explicit := .Values.redis.maxmemory }}
{{- if $explicit }}
{{- $bytes := include "shaservice.bytes" (list "redis.maxmemory" $explicit) | int64 }}
{{- if and $limitBytes (ge $bytes $limitBytes) }}
{{- fail (printf "redis.maxmemory (%v) must be below redis.resources.limits.memory (%v): Redis would be killed before it refuses writes; leave about 30%% for forks and buffers" $explicit $limit) }}
{{- end }}
{{- $bytes }}
{{- else if $limitBytes }}
{{- div (mul $limitBytes 7) 10 }}
{{- end }}
{{- end }}
