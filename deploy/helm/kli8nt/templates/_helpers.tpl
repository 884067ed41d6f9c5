{{- define "kli8nt.name" -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}

{{- define "kli8nt.labels" -}}
app.kubernetes.io/name: kli8nt
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kli8nt.selector" -}}
app.kubernetes.io/name: kli8nt
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kli8nt.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "kli8nt.githubSecret" -}}
{{ .Values.github.existingSecret | default (printf "%s-github" (include "kli8nt.name" .)) }}
{{- end -}}
{{- define "kli8nt.platformSecret" -}}
{{ .Values.existingPlatformSecret | default (printf "%s-platform" (include "kli8nt.name" .)) }}
{{- end -}}

{{/* Secret-backed env: name, secret, key. */}}
{{- define "kli8nt.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* Environment shared by every component (each reads these names in its config.ts). */}}
{{- define "kli8nt.commonEnv" -}}
- name: KLI8NT_LOG_LEVEL
  value: {{ .Values.logLevel | default "info" | quote }}
{{- end -}}

{{/* RabbitMQ, for the components on the bus (api, build and deploy controllers). */}}
{{- define "kli8nt.rabbitmqEnv" -}}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_RABBITMQ_URL" "secret" (.Values.rabbitmq.existingSecret | default (include "kli8nt.platformSecret" .)) "key" (ternary "url" "rabbitmqUrl" (ne .Values.rabbitmq.existingSecret ""))) }}
{{- end -}}

{{/* Kafka, for the components that read or write logs (api, log controller). */}}
{{- define "kli8nt.kafkaEnv" -}}
- name: KLI8NT_KAFKA_BROKERS
  value: {{ required "kafka.brokers is required (bring your own Kafka)" .Values.kafka.brokers | quote }}
- name: KLI8NT_KAFKA_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
{{- end -}}

{{/* The database and the key its secrets are encrypted with (api, deploy and log controllers). */}}
{{- define "kli8nt.databaseEnv" -}}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_SECRET_KEY" "secret" (include "kli8nt.platformSecret" .) "key" "secretKey") }}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_DATABASE_URL" "secret" (.Values.postgresql.existingSecret | default (include "kli8nt.platformSecret" .)) "key" (ternary "url" "databaseUrl" (ne .Values.postgresql.existingSecret ""))) }}
{{- end -}}

{{/* The api's internal token (ADR 0118), for the api and the build controller only. */}}
{{- define "kli8nt.internalTokenEnv" -}}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_INTERNAL_TOKEN" "secret" (include "kli8nt.platformSecret" .) "key" "internalToken") }}
{{- end -}}

{{/* Pod settings every component shares: non-root, read-only root filesystem, no privilege escalation. */}}
{{- define "kli8nt.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile: {type: RuntimeDefault}
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "kli8nt.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
{{- end -}}

{{/* A controller: ServiceAccount + Deployment. Args: root, component, spec (its values), env (YAML list),
and optionally mounts / volumes (YAML lists) for files it reads. */}}
{{- define "kli8nt.controller" -}}
{{- $root := .root -}}
{{- $name := printf "%s-%s" (include "kli8nt.name" $root) .component -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "kli8nt.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "kli8nt.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .spec.replicas }}
  # One controller at a time per component: a rolling update would run two admitting builds side by side.
  strategy: {type: Recreate}
  selector:
    matchLabels: {{- include "kli8nt.selector" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "kli8nt.selector" . | nindent 8 }}
    spec:
      serviceAccountName: {{ $name }}
      {{- include "kli8nt.podSecurity" $root | nindent 6 }}
      containers:
      - name: {{ .component }}
        image: {{ include "kli8nt.image" $root }}
        imagePullPolicy: {{ $root.Values.image.pullPolicy }}
        command: {{ toJson .spec.command }}
        env:
        {{- include "kli8nt.commonEnv" $root | nindent 8 }}
        {{- with .env }}
        {{- . | nindent 8 }}
        {{- end }}
        resources: {{- toYaml .spec.resources | nindent 10 }}
        {{- include "kli8nt.containerSecurity" $root | nindent 8 }}
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
        {{- with .mounts }}
        {{- . | nindent 8 }}
        {{- end }}
      volumes:
      - name: tmp
        emptyDir: {}
      {{- with .volumes }}
      {{- . | nindent 6 }}
      {{- end }}
{{- end -}}

{{/* A label map as k=v,k=v (sorted keys), as KLI8NT_DNS_POD_SELECTOR takes it. */}}
{{- define "kli8nt.labelPairs" -}}
{{- $pairs := list -}}
{{- range $k, $v := . -}}{{- $pairs = append $pairs (printf "%s=%s" $k $v) -}}{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* Kafka TLS and SASL (docs/adr/0144): the log controller's KLI8NT_KAFKA_TLS* and _SASL_* variables. */}}
{{- define "kli8nt.kafkaSecurityEnv" -}}
{{- $k := .Values.kafka -}}
{{- if and $k.tls $k.tls.enabled }}
- name: KLI8NT_KAFKA_TLS
  value: "true"
{{- if $k.tls.caSecret }}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_KAFKA_TLS_CA" "secret" $k.tls.caSecret "key" ($k.tls.caKey | default "ca.crt")) }}
{{- end }}
{{- if $k.tls.servername }}
- name: KLI8NT_KAFKA_TLS_SERVERNAME
  value: {{ $k.tls.servername | quote }}
{{- end }}
{{- end }}
{{- if and $k.sasl $k.sasl.mechanism }}
- name: KLI8NT_KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
- name: KLI8NT_KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with kafka.sasl.mechanism" $k.sasl.username | quote }}
{{ include "kli8nt.secretEnv" (dict "name" "KLI8NT_KAFKA_SASL_PASSWORD" "secret" (required "kafka.sasl.existingSecret is required with kafka.sasl.mechanism (a Secret holding the password)" $k.sasl.existingSecret) "key" ($k.sasl.passwordKey | default "password")) }}
{{- end }}
{{- end -}}

{{/*
Approximate registrable domain of a host: the last two labels, or three under a country's generic
second level (acme.co.uk). `kli8nt doctor --public-url … --apps-domain …` checks with the full Public
Suffix List; this guard catches the common mistake at install time.
*/}}
{{- define "kli8nt.site" -}}
{{- $labels := splitList "." (trimPrefix "*." . | lower) -}}
{{- $n := len $labels -}}
{{- if and (ge $n 3) (eq (len (last $labels)) 2) (has (index $labels (sub $n 2)) (list "co" "com" "net" "org" "gov" "ac" "edu" "ne" "or")) -}}
{{- join "." (slice $labels (sub $n 3)) -}}
{{- else if ge $n 2 -}}
{{- join "." (slice $labels (sub $n 2)) -}}
{{- else -}}
{{- join "." $labels -}}
{{- end -}}
{{- end -}}

{{/*
Refuses an apps domain that is same-site with the dashboard (ADR 0130): a tenant's page there would be
same-site with the dashboard, so SameSite cookies ride along on its requests.
*/}}
{{- define "kli8nt.checkSites" -}}
{{- $dashboard := include "kli8nt.site" (urlParse .Values.publicUrl).hostname -}}
{{- $apps := include "kli8nt.site" (printf "app.%s" .Values.appsDomain) -}}
{{- if and (eq $dashboard $apps) (not .Values.allowSameSiteAppsDomain) -}}
{{- fail (printf "appsDomain %s shares the registrable domain %s with publicUrl: a tenant's page would be same-site with the dashboard. Serve apps from a domain of their own (e.g. example-apps.com), or set allowSameSiteAppsDomain=true to accept the risk" .Values.appsDomain $dashboard) -}}
{{- end -}}
{{- end -}}
