{{/* The image of a service: repository[:tag][@digest], quoted. */}}
{{- define "quickstart.image" -}}
{{- $ref := .repository -}}
{{- if .tag }}{{ $ref = printf "%s:%s" $ref .tag }}{{ end -}}
{{- if .digest }}{{ $ref = printf "%s@%s" $ref .digest }}{{ end -}}
{{- $ref | quote -}}
{{- end -}}

{{/* The Secret the services read: secrets.existingSecret, else the one this chart creates. */}}
{{- define "quickstart.secretName" -}}
{{- .Values.secrets.existingSecret | default "quickstart-secrets" -}}
{{- end -}}
