{{/* Labels on every object: deploy/'s part-of label, and Helm's own. */}}
{{- define "dockmaster.labels" -}}
app.kubernetes.io/part-of: dockmaster
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* name + component: the selector labels of a Deployment's pods (as in deploy/). */}}
{{- define "dockmaster.selector" -}}
app.kubernetes.io/name: dockmaster
app.kubernetes.io/component: {{ . }}
{{- end }}

{{- define "dockmaster.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The operator configuration (src/config/operator-config.ts validates it at start-up; an unknown
key is an error). The release namespace is the operator's namespace.
*/}}
{{- define "dockmaster.config" -}}
{{- $webhook := dict "enabled" false "patchCaBundleOnly" true "failurePolicy" .Values.webhook.failurePolicy "timeoutSeconds" (int .Values.webhook.timeoutSeconds) -}}
{{- if .Values.webhook.url }}{{ $_ := set $webhook "url" .Values.webhook.url }}{{ end -}}
{{- $admission := dict "mode" .Values.admission.mode "allowedRegistries" .Values.admission.allowedRegistries "exemptNamespaces" .Values.admission.exemptNamespaces "registries" .Values.admission.registries "webhook" $webhook -}}
{{- if .Values.admission.namespaces }}{{ $_ := set $admission "namespaces" .Values.admission.namespaces }}{{ end -}}
{{- $config := dict "namespace" .Release.Namespace "admission" $admission "externalRegistries" .Values.externalRegistries -}}
{{- if .Values.pullTracking.enabled }}{{ $_ := set $config "pullTracking" (dict "receiverURL" (printf "http://dockmaster-operator-metrics.%s.svc:8080" .Release.Namespace)) }}{{ end -}}
{{- toYaml (mergeOverwrite $config (deepCopy .Values.extraConfig)) -}}
{{- end }}
