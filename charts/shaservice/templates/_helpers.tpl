{{/* Names and labels, as `helm create` scaffolds them. */}}

{{- define "shaservice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release-chart, cut to 63 characters (the DNS label limit); the release name alone when it already
holds the chart name.
*/}}
{{- define "shaservice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "shaservice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shaservice.labels" -}}
helm.sh/chart: {{ include "shaservice.chart" . }}
{{ include "shaservice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "shaservice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shaservice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The API pods and the Redis pods share the release's labels; the component tells them apart. */}}
{{- define "shaservice.apiSelectorLabels" -}}
{{ include "shaservice.selectorLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{- define "shaservice.redisSelectorLabels" -}}
{{ include "shaservice.selectorLabels" . }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "shaservice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "shaservice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "shaservice.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "shaservice.imageTag" (.Values.image.tag | default .Chart.AppVersion)) }}
{{- end }}

{{- define "shaservice.redisImage" -}}
{{- printf "%s:%s" .Values.redis.image.repository (include "shaservice.imageTag" .Values.redis.image.tag) }}
{{- end }}

{{/*
An image tag as text. YAML reads `tag: 24` as a number, and Helm holds every number as a float64, which
prints a large whole one in exponent form (2.0261130e+07); whole numbers are written as integers here. A tag
such as 1.10 must still be quoted: as a number it is 1.1.
*/}}
{{- define "shaservice.imageTag" -}}
{{- if kindIs "float64" . }}
{{- if eq . (floor .) }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/*
The Redis StatefulSet, its headless Service, ConfigMap and Secret: at most 52 characters, since the
controller labels each pod `controller-revision-hash: <name>-<10-character hash>` and a label value holds
63. No working release changes name: a longer StatefulSet name never got its pods created.
*/}}
{{- define "shaservice.redisName" -}}
{{- printf "%s-redis" (include "shaservice.fullname" . | trunc 46 | trimSuffix "-") }}
{{- end }}

{{/*
With redis.architecture sentinel each Redis pod has a stable DNS name through the headless Service. The names
are namespace-qualified but leave the cluster domain to the pods' DNS search path, so any domain works.
*/}}
{{- define "shaservice.redisDomain" -}}
{{- printf "%s.%s.svc" (include "shaservice.redisName" .) .Release.Namespace }}
{{- end }}

{{/* The DNS names of the Redis pods with architecture sentinel, space-separated, pod 0 first. */}}
{{- define "shaservice.redisNodeHosts" -}}
{{- $name := include "shaservice.redisName" . }}
{{- $domain := include "shaservice.redisDomain" . }}
{{- range $i := until (.Values.redis.sentinel.nodes | int) }}{{ printf "%s-%d.%s " $name $i $domain }}{{ end }}
{{- end }}

{{/*
REDIS_MIN_REPLICA_ACKS. Unset (empty) means: 1 with the chart's own Sentinel group, whose users chose it not
to lose acknowledged writes in a failover (with 0, about a thousand per failover were lost in the README's
measurement); 0 for a standalone Redis, which has no replica to wait for, and for an external Redis, whose
replicas the chart cannot count. An explicit number, 0 included, is kept.
*/}}
{{- define "shaservice.redisMinReplicaAcks" -}}
{{- $acks := .Values.config.redisMinReplicaAcks }}
{{- if kindIs "string" $acks }}
{{- ternary 1 0 (and .Values.redis.enabled (eq .Values.redis.architecture "sentinel")) }}
{{- else }}
{{- $acks | int }}
{{- end }}
{{- end }}

{{/*
The service's Redis topology as ConfigMap entries: the chart's own Redis (standalone URL, or its sentinels),
or the one external topology that is set. Which settings go together (exactly one external topology, a master
name with sentinels, no tls with a standalone URL, natMap only with a Cluster, no replica acks from a
standalone Redis) is said once, in values.schema.json, so Helm refuses a bad combination before rendering.
The one rule left here compares two values, which JSON Schema cannot do.
*/}}
{{- define "shaservice.redisEnv" -}}
{{- if .Values.redis.enabled }}
{{- $sentinel := .Values.redis.sentinel }}
{{- if eq .Values.redis.architecture "sentinel" }}
{{- $acks := include "shaservice.redisMinReplicaAcks" . | int }}
{{- $replicas := sub ($sentinel.nodes | int) 1 | int }}
{{- if gt $acks $replicas }}
{{- fail (printf "config.redisMinReplicaAcks (%d) is more than the chart's Redis has replicas (%d): every POST would get 503; use redis.sentinel.nodes above %d" $acks $replicas $acks) }}
{{- end }}
{{- $port := $sentinel.port | int }}
{{- $addresses := list }}
{{- range splitList " " (include "shaservice.redisNodeHosts" . | trim) }}
{{- $addresses = append $addresses (printf "%s:%d" . $port) }}
{{- end }}
REDIS_SENTINELS: {{ join "," $addresses | quote }}
REDIS_SENTINEL_MASTER: {{ $sentinel.masterName | quote }}
{{- else }}
REDIS_URL: {{ printf "redis://%s:%d" (include "shaservice.redisName" .) (.Values.redis.port | int) | quote }}
{{- end }}
{{- else }}
{{- $ext := .Values.externalRedis }}
{{- if $ext.url }}
REDIS_URL: {{ $ext.url | quote }}
{{- else if $ext.sentinels }}
REDIS_SENTINELS: {{ join "," $ext.sentinels | quote }}
REDIS_SENTINEL_MASTER: {{ $ext.sentinelMaster | quote }}
{{- else }}
REDIS_CLUSTER_NODES: {{ join "," $ext.clusterNodes | quote }}
{{- with $ext.natMap }}
{{- $pairs := list }}
{{- range $from, $to := . }}{{ $pairs = append $pairs (printf "%s=%s" $from $to) }}{{ end }}
REDIS_CLUSTER_NAT_MAP: {{ join "," $pairs | quote }}
{{- end }}
{{- end }}
{{- if $ext.tls }}
REDIS_TLS: "true"
{{- end }}
{{- with $ext.username }}
REDIS_USERNAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where NOTES.txt says the messages are kept. */}}
{{- define "shaservice.redisDescription" -}}
{{- $ext := .Values.externalRedis }}
{{- if $ext.url }}the external Redis at {{ $ext.url }}
{{- else if $ext.sentinels }}the external Redis whose sentinels ({{ join ", " $ext.sentinels }}) watch {{ $ext.sentinelMaster }}
{{- else }}the external Redis Cluster seeded by {{ join ", " $ext.clusterNodes }}
{{- end }}
{{- end }}

{{/* The Secret holding the Redis password, and its key; empty when there is no password at all. */}}
{{- define "shaservice.redisPasswordSecret" -}}
{{- if .Values.redis.enabled }}
{{- .Values.redis.auth.existingSecret | default (include "shaservice.redisName" .) }}
{{- else if .Values.externalRedis.existingSecret }}
{{- .Values.externalRedis.existingSecret }}
{{- else if .Values.externalRedis.password }}
{{- include "shaservice.fullname" . }}
{{- end }}
{{- end }}

{{/*
The API's Redis passwords, as env entries read from the Secret: the data nodes' and, where the sentinels have
one of their own, theirs (the chart's own sentinels use the same password as the data nodes).
*/}}
{{- define "shaservice.redisPasswordEnv" -}}
{{- with include "shaservice.redisPasswordSecret" . }}
{{- $secret := . }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ include "shaservice.redisPasswordKey" $ }}
{{- $sentinelKey := "" }}
{{- if $.Values.redis.enabled }}
{{- if eq $.Values.redis.architecture "sentinel" }}{{ $sentinelKey = include "shaservice.redisPasswordKey" $ }}{{ end }}
{{- else if $.Values.externalRedis.sentinels }}
{{- $sentinelKey = $.Values.externalRedis.existingSecretSentinelPasswordKey }}
{{- end }}
{{- with $sentinelKey }}
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
{{- end }}
{{- end }}
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

{{- define "shaservice.redisPasswordKey" -}}
{{- if .Values.redis.enabled }}
{{- .Values.redis.auth.existingSecretPasswordKey }}
{{- else }}
{{- .Values.externalRedis.existingSecretPasswordKey }}
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

{{/* The hardened pod and container security contexts every pod of the chart starts from. */}}
{{- define "shaservice.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}
