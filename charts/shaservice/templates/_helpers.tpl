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
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "shaservice.redisName" -}}
{{- printf "%s-redis" (include "shaservice.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/* Where the service finds Redis: the chart's own StatefulSet, or the external one the user names. */}}
{{- define "shaservice.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s:%d" (include "shaservice.redisName" .) (.Values.redis.port | int) }}
{{- else }}
{{- required "externalRedis.url is required when redis.enabled is false" .Values.externalRedis.url }}
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

{{- define "shaservice.redisPasswordKey" -}}
{{- if .Values.redis.enabled }}
{{- .Values.redis.auth.existingSecretPasswordKey }}
{{- else }}
{{- .Values.externalRedis.existingSecretPasswordKey }}
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
