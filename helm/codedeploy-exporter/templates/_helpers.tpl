{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a name.
*/}}
{{- define "codedeploy-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. A release name that already contains the chart name
is used as is.
*/}}
{{- define "codedeploy-exporter.fullname" -}}
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

{{- define "codedeploy-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "codedeploy-exporter.labels" -}}
helm.sh/chart: {{ include "codedeploy-exporter.chart" . }}
{{ include "codedeploy-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "codedeploy-exporter.name" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels selecting the exporter pods. Immutable in Deployments and StatefulSets:
never add to them.
*/}}
{{- define "codedeploy-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "codedeploy-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "codedeploy-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "codedeploy-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "codedeploy-exporter.configMapName" -}}
{{- default (include "codedeploy-exporter.fullname" .) .Values.existingConfigMap }}
{{- end }}

{{/*
Image reference; a digest pins the image and wins over the tag.
*/}}
{{- define "codedeploy-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The exporter's config.yaml as rendered into the ConfigMap; also hashed into
the pods' checksum/config annotation so a config change rolls them.
*/}}
{{- define "codedeploy-exporter.configYaml" -}}
{{- toYaml .Values.config }}
{{- end }}

{{/*
Pod template shared by the Deployment and the sharded StatefulSet.
*/}}
{{- define "codedeploy-exporter.podTemplate" -}}
metadata:
  {{- if or (not .Values.existingConfigMap) .Values.podAnnotations }}
  annotations:
    {{- if not .Values.existingConfigMap }}
    checksum/config: {{ include "codedeploy-exporter.configYaml" . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  labels:
    {{- include "codedeploy-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "codedeploy-exporter.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  containers:
    - name: exporter
      image: {{ include "codedeploy-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file=/etc/codedeploy-exporter/config.yaml
        - --web.listen-address=:{{ .Values.containerPort }}
        - --log.level={{ .Values.logLevel }}
        - --log.format={{ .Values.logFormat }}
        - --log.diagnostics={{ .Values.logDiagnostics }}
        - --web.healthz.max-poll-intervals={{ .Values.healthzMaxPollIntervals }}
        {{- with .Values.webExternalURL }}
        - {{ printf "--web.external-url=%s" . | quote }}
        {{- end }}
        {{- if .Values.webConfig.existingSecret }}
        - --web.config.file={{ include "codedeploy-exporter.webConfigDir" . }}/{{ .Values.webConfig.key }}
        {{- end }}
        {{- if .Values.sharding.enabled }}
        {{- /* auto: the ordinal is the trailing -N of $POD_NAME (set below). */}}
        - --shard=auto
        - --total-shards={{ .Values.sharding.replicas }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- if or .Values.sharding.enabled .Values.extraEnv }}
      env:
        {{- if .Values.sharding.enabled }}
        {{- /* StatefulSet pods are named <fullname>-<ordinal>. */}}
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      livenessProbe:
        {{- include "codedeploy-exporter.probe" (dict "probe" .Values.livenessProbe "root" .) | nindent 8 }}
      readinessProbe:
        {{- include "codedeploy-exporter.probe" (dict "probe" .Values.readinessProbe "root" .) | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/codedeploy-exporter
          readOnly: true
        {{- if .Values.webConfig.existingSecret }}
        - name: web-config
          mountPath: {{ include "codedeploy-exporter.webConfigDir" . }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "codedeploy-exporter.configMapName" . }}
    {{- if .Values.webConfig.existingSecret }}
    {{- /* Certificates, keys and password hashes: readable by the pod's group only (0440). */}}
    - name: web-config
      secret:
        secretName: {{ .Values.webConfig.existingSecret }}
        defaultMode: 288
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Where the web config Secret is mounted; relative paths inside the web config (cert_file,
key_file, client_ca_file) resolve against this directory, i.e. other keys of the Secret.
*/}}
{{- define "codedeploy-exporter.webConfigDir" -}}
/etc/codedeploy-exporter-web
{{- end }}

{{/*
The scheme the metrics port speaks: https when the web config turns on TLS.
*/}}
{{- define "codedeploy-exporter.scheme" -}}
{{- if and .Values.webConfig.existingSecret .Values.webConfig.tls }}https{{ else }}http{{ end }}
{{- end }}

{{/*
A probe from values, switched to HTTPS when the metrics port speaks TLS (kubelet does not
verify the certificate; /healthz and /readyz need no basic auth).
Call with (dict "probe" <probe values> "root" $).
*/}}
{{- define "codedeploy-exporter.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if and $probe.httpGet (eq (include "codedeploy-exporter.scheme" .root) "https") }}
{{- $_ := set $probe.httpGet "scheme" (default "HTTPS" $probe.httpGet.scheme) }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/*
The scrape settings shared by the ServiceMonitor endpoint and the PodMonitor endpoint.
*/}}
{{- define "codedeploy-exporter.scrapeEndpoint" -}}
port: http
path: /metrics
scheme: {{ default (include "codedeploy-exporter.scheme" .) .Values.serviceMonitor.scheme }}
interval: {{ .Values.serviceMonitor.interval }}
scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
honorLabels: {{ .Values.serviceMonitor.honorLabels }}
{{- with .Values.serviceMonitor.tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceMonitor.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceMonitor.relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceMonitor.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
