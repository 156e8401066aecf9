{{/* The image of a service: repository[:tag][@digest], quoted. */}}
{{- define "basic.image" -}}
{{- $ref := .repository -}}
{{- if .tag }}{{ $ref = printf "%s:%s" $ref .tag }}{{ end -}}
{{- if .digest }}{{ $ref = printf "%s@%s" $ref .digest }}{{ end -}}
{{- $ref | quote -}}
{{- end -}}

{{/* The Secret the services read: secrets.existingSecret, else the one this chart creates. */}}
{{- define "basic.secretName" -}}
{{- .Values.secrets.existingSecret | default "basic-secrets" -}}
{{- end -}}
