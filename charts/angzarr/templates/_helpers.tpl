{{/* Release-wide name prefix: the release name, or release-chart when they differ. */}}
{{- define "angzarr.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "angzarr.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one role: dict "root" $ "role" NAME. */}}
{{- define "angzarr.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{/* Object name of one role: dict "root" $ "role" NAME. */}}
{{- define "angzarr.roleName" -}}
{{- printf "%s-%s" (include "angzarr.fullname" .root) .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Program (image key) of a component. */}}
{{- define "angzarr.program" -}}
{{- if .program -}}{{ .program }}{{- else if eq .kind "aggregate" -}}agg-{{ .domain | default .name }}{{- else -}}{{ .name }}{{- end -}}
{{- end -}}

{{/*
Image key of a component: `image` when its program lives in an image holding several programs (a
language's examples image, e.g. examples-python), else its program.
*/}}
{{- define "angzarr.imageKey" -}}
{{- .image | default (include "angzarr.program" .) -}}
{{- end -}}

{{/* Role name (object suffix, component label) of a component: its kind and name. */}}
{{- define "angzarr.componentRole" -}}
{{- if eq .kind "aggregate" -}}agg-{{ .name }}{{- else -}}{{ .name }}{{- end -}}
{{- end -}}

{{/* Image reference of a program: dict "root" $ "program" NAME. Digest wins when set. */}}
{{- define "angzarr.image" -}}
{{- $image := index .root.Values.images .program | default dict -}}
{{- if not $image.repository -}}
{{- fail (printf "images.%s: no image for program %s (add images.%s.repository)" .program .program .program) -}}
{{- end -}}
{{- $tag := toString ($image.tag | default .root.Chart.AppVersion) -}}
{{- if $image.digest -}}
{{- printf "%s:%s@%s" $image.repository $tag $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where a program's socket lives inside the pod. */}}
{{- define "angzarr.socket" -}}
/run/angzarr/{{ . }}.sock
{{- end -}}

{{- define "angzarr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "angzarr.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Pod-level securityContext: numeric non-root user of the distroless images. */}}
{{- define "angzarr.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level securityContext, on every container. */}}
{{- define "angzarr.securityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Exec probes: dict "root" $ "command" LIST. Readiness, liveness and a startup gate. */}}
{{- define "angzarr.probes" -}}
{{- $p := .root.Values.probes -}}
startupProbe:
  exec:
    command: {{ toJson .command }}
  periodSeconds: 2
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.startupFailureThreshold }}
readinessProbe:
  exec:
    command: {{ toJson .command }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
livenessProbe:
  exec:
    command: {{ toJson .command }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
{{- end -}}

{{/*
The domain program of a component as a native sidecar (an init container that keeps running:
it starts before the coordinator and stops after it). dict "root" $ "component" C, and for
projectors "dataVolume" NAME (+ "dataSubPath") holding the read model at /data.
*/}}
{{- define "angzarr.handlerSidecar" -}}
{{- $c := .component -}}
{{- $program := include "angzarr.program" $c -}}
{{- $handler := $c.handler | default dict -}}
{{- $socket := include "angzarr.socket" $program -}}
- name: {{ $program | trunc 63 }}
  image: {{ include "angzarr.image" (dict "root" .root "program" (include "angzarr.imageKey" $c)) }}
  imagePullPolicy: {{ .root.Values.imagePullPolicy }}
  restartPolicy: Always
  {{- if $handler.command }}
  command: {{ toJson $handler.command }}
  {{- else if $c.image }}
  {{- /* An image of several programs has no entrypoint: the program is the command. */}}
  command: {{ toJson (list (printf "/usr/local/bin/%s" $program)) }}
  {{- end }}
  args: {{ toJson ($handler.args | default (list "--socket" $socket)) }}
  env:
    - name: ANGZARR_SOCKET
      value: {{ $socket | quote }}
    {{- if eq $c.kind "projector" }}
    - name: PROJECTOR_DB
      value: {{ printf "/data/%s.db" $program | quote }}
    {{- end }}
    {{- range $k, $v := $handler.env }}
    - name: {{ $k }}
      value: {{ $v | quote }}
    {{- end }}
  securityContext:
    {{- include "angzarr.securityContext" . | nindent 4 }}
  resources:
    {{- toYaml ($handler.resources | default .root.Values.handler.resources) | nindent 4 }}
  {{- include "angzarr.probes" (dict "root" .root "command" ($handler.healthCommand | default (list (printf "/usr/local/bin/%s" $program) "health" "--socket" $socket))) | nindent 2 }}
  volumeMounts:
    - { name: sockets, mountPath: /run/angzarr }
    - { name: tmp, mountPath: /tmp }
    {{- if eq $c.kind "projector" }}
    - name: {{ .dataVolume }}
      mountPath: /data
      {{- with .dataSubPath }}
      subPath: {{ . }}
      {{- end }}
    {{- end }}
{{- end -}}

{{/* Environment of every coordinator container. */}}
{{- define "angzarr.coordinatorEnv" -}}
- name: ANGZARR_LOG
  value: {{ .Values.config.log | default "info" | quote }}
{{- if eq .Values.mode "distributed" }}
- name: ANGZARR_PG_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.postgres.name }}
      key: {{ .Values.secrets.postgres.key }}
- name: ANGZARR_AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.rabbitmq.name }}
      key: {{ .Values.secrets.rabbitmq.key }}
- name: ANGZARR_PEERS
  value: {{ include "angzarr.peers" (dict "root" . "reactive" false) | quote }}
- name: ANGZARR_REACTIVE_PEERS
  value: {{ include "angzarr.peers" (dict "root" . "reactive" true) | quote }}
{{- end }}
{{- end -}}

{{/*
Where component roles answer, name=http://service:port,...: dict "root" $ "reactive" BOOL.
Not reactive: the aggregate coordinators by domain (ANGZARR_PEERS: gateway, sagas, PMs send them
commands). Reactive: sagas, projectors and process managers by name (ANGZARR_REACTIVE_PEERS: the
roles an aggregate waits for under SIMPLE / CASCADE).
*/}}
{{- define "angzarr.peers" -}}
{{- $root := .root -}}
{{- $peers := list -}}
{{- range $root.Values.components -}}
{{- if eq (eq .kind "aggregate") (not $.reactive) -}}
{{- $role := include "angzarr.componentRole" . -}}
{{- $key := ternary (.domain | default .name) .name (eq .kind "aggregate") -}}
{{- $peers = append $peers (printf "%s=http://%s:%d" $key (include "angzarr.roleName" (dict "root" $root "role" $role)) (int $root.Values.coordinator.port)) -}}
{{- end -}}
{{- end -}}
{{- join "," $peers -}}
{{- end -}}

{{/* Pod scheduling knobs shared by every pod. */}}
{{- define "angzarr.podCommon" -}}
serviceAccountName: {{ include "angzarr.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations: the config checksum (pods roll when the ConfigMap changes) and extras. */}}
{{- define "angzarr.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
