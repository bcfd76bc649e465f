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

{{/*
The API pods, the Redis pods and the helm test pod share the release's labels; the component (api, redis, test)
tells them apart. Both take the top context and the component: (list . "api").
*/}}
{{- define "shaservice.componentLabels" -}}
{{ include "shaservice.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "shaservice.componentSelectorLabels" -}}
{{ include "shaservice.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
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
A duration in milliseconds, so that two of them can be compared: a Gateway API one ("1m30s", "500ms"), a
Prometheus one (also y = 365d, w, d) or a Go one as cert-manager reads it (decimals: "1.5h"). Empty is 0.
*/}}
{{- define "shaservice.durationMs" -}}
{{- $unitMs := dict "y" 31536000000 "w" 604800000 "d" 86400000 "h" 3600000 "m" 60000 "s" 1000 "ms" 1 }}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|y|w|d|h|m|s)" (. | default "") -1 }}
{{- $total = addf $total (mulf (regexFind "^[0-9.]+" . | float64) (get $unitMs (regexReplaceAll "^[0-9.]+" . ""))) }}
{{- end }}
{{- $total | int64 }}
{{- end }}

{{/*
Where the API's certificate goes: the Ingress's Secret beside it in the release's namespace, or, with the
HTTPRoute, the Gateway listener's Secret in the Gateway's namespace (the first parentRef's; a listener reads
Secrets of its own namespace). Answers the namespace.
*/}}
{{- define "shaservice.certificateNamespace" -}}
{{- if .Values.httpRoute.enabled }}
{{- (first .Values.httpRoute.parentRefs).namespace | default .Release.Namespace }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
The Certificate of the Gateway listener, in the Gateway's namespace, which other releases share: named after
the release's namespace and full name, so that two releases never collide there. At most 59 characters (a
hash of the whole name replaces a cut tail), so that the Secret named after it with "-tls" fits 63.
*/}}
{{- define "shaservice.gatewayCertificateName" -}}
{{- $name := printf "%s-%s" .Release.Namespace (include "shaservice.fullname" .) }}
{{- if gt (len $name) 59 }}
{{- printf "%s-%s" ($name | trunc 50 | trimSuffix "-") ($name | sha256sum | trunc 8) }}
{{- else }}
{{- $name }}
{{- end }}
{{- end }}

{{/* The Secret the Gateway listener's certificate goes into: certificate.gatewaySecretName, or one of the release's own. */}}
{{- define "shaservice.gatewaySecretName" -}}
{{- .Values.certificate.gatewaySecretName | default (printf "%s-tls" (include "shaservice.gatewayCertificateName" .)) }}
{{- end }}

{{/*
The listeners the HTTPS redirect route attaches to: httpRoute.httpsRedirect.parentRefs, or when it is empty
each Gateway of httpRoute.parentRefs at its listener httpsRedirect.sectionName (the API route's port left out),
so that moving the API route moves the redirect with it. Answers YAML: {refs: [...]}.
*/}}
{{- define "shaservice.redirectParentRefs" -}}
{{- $redirect := .Values.httpRoute.httpsRedirect }}
{{- $refs := $redirect.parentRefs }}
{{- if not $refs }}
{{- $refs = list }}
{{- range .Values.httpRoute.parentRefs }}
{{- $refs = append $refs (merge (dict "sectionName" $redirect.sectionName) (omit . "sectionName" "port")) }}
{{- end }}
{{- $refs = uniq $refs }}
{{- end }}
{{- toYaml (dict "refs" $refs) }}
{{- end }}

{{/*
One parentRef as the listener it means, for comparing: group/kind/namespace/name/sectionName/port with the
CRD's defaults (a Gateway of gateway.networking.k8s.io, in the route's namespace) filled in. Takes (list . ref).
*/}}
{{- define "shaservice.parentRefKey" -}}
{{- $ref := index . 1 }}
{{- printf "%s/%s/%s/%s/%s/%v" ($ref.group | default "gateway.networking.k8s.io") ($ref.kind | default "Gateway") ($ref.namespace | default (index . 0).Release.Namespace) $ref.name ($ref.sectionName | default "") ($ref.port | default "") }}
{{- end }}

{{/*
Labels the chart sets merged with a user's extra labels, the chart's winning where a key is in both (a YAML
mapping cannot hold a key twice), written sorted and quoted as YAML needs. Takes (list chartLabelsYaml userLabels).
*/}}
{{- define "shaservice.mergeLabels" -}}
{{- $own := fromYaml (index . 0) }}
{{- toYaml (merge $own (index . 1 | default dict)) }}
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

{{- define "shaservice.redisPasswordKey" -}}
{{- if .Values.redis.enabled }}
{{- .Values.redis.auth.existingSecretPasswordKey }}
{{- else }}
{{- .Values.externalRedis.existingSecretPasswordKey }}
{{- end }}
{{- end }}
