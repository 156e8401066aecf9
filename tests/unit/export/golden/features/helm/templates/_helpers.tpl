{{/* The image of a service: repository[:tag][@digest], quoted. */}}
{{- define "shop-chart-46f82446.image" -}}
{{- $ref := .repository -}}
{{- if .tag }}{{ $ref = printf "%s:%s" $ref .tag }}{{ end -}}
{{- if .digest }}{{ $ref = printf "%s@%s" $ref .digest }}{{ end -}}
{{- $ref | quote -}}
{{- end -}}

{{/* The Secret the services read: secrets.existingSecret, else the one this chart creates. */}}
{{- define "shop-chart-46f82446.secretName" -}}
{{- .Values.secrets.existingSecret | default "features-secrets" -}}
{{- end -}}
