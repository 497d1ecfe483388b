// The object keys of pods and admission reviews, for the JSON reader to intern (about a hundred
// are decoded per review).
import JSON

extension KnownKeys {
    public static let kubernetes = KnownKeys(KubernetesKeys.names)
}

enum KubernetesKeys {
    static let names = [
        // AdmissionReview
        "apiVersion", "kind", "request", "response", "uid", "group", "version", "resource", "subResource",
        "requestKind", "requestResource", "requestSubResource", "name", "namespace", "operation", "userInfo",
        "username", "groups", "extra", "object", "oldObject", "dryRun", "options", "fieldManager", "fieldValidation",
        "authentication.kubernetes.io/credential-id", "authentication.kubernetes.io/node-name",
        "authentication.kubernetes.io/node-uid", "authentication.kubernetes.io/pod-name",
        "authentication.kubernetes.io/pod-uid",
        // ObjectMeta
        "metadata", "generateName", "labels", "annotations", "ownerReferences", "controller", "blockOwnerDeletion",
        "finalizers", "creationTimestamp", "deletionTimestamp", "resourceVersion", "generation", "managedFields",
        "manager", "time", "fieldsType", "fieldsV1",
        // PodSpec
        "spec", "status", "containers", "initContainers", "ephemeralContainers", "volumes", "nodeSelector",
        "nodeName", "affinity", "tolerations", "topologySpreadConstraints", "priority", "priorityClassName",
        "preemptionPolicy", "schedulerName", "serviceAccount", "serviceAccountName", "automountServiceAccountToken",
        "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "dnsConfig",
        "hostname", "subdomain", "hostNetwork", "hostPID", "hostIPC", "hostAliases", "securityContext",
        "imagePullSecrets", "enableServiceLinks", "runtimeClassName", "overhead", "readinessGates",
        "schedulingGates", "shareProcessNamespace", "setHostnameAsFQDN", "os", "resourceClaims",
        // scheduling
        "key", "operator", "value", "effect", "tolerationSeconds", "values", "nodeAffinity", "podAffinity",
        "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "matchExpressions", "matchFields",
        "matchLabels", "matchLabelKeys", "labelSelector", "topologyKey", "weight", "preference", "podAffinityTerm",
        "maxSkew", "whenUnsatisfiable", "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy",
        // Container
        "image", "command", "args", "workingDir", "ports", "containerPort", "protocol", "hostPort", "env",
        "envFrom", "valueFrom", "fieldRef", "fieldPath", "secretKeyRef", "configMapKeyRef", "resourceFieldRef",
        "resources", "limits", "requests", "cpu", "memory", "ephemeral-storage", "volumeMounts", "mountPath",
        "subPath", "readOnly", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "preStop",
        "postStart", "exec", "httpGet", "tcpSocket", "grpc", "port", "path", "service", "scheme",
        "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold",
        "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "stdin", "tty",
        "runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "seccompProfile", "type", "capabilities",
        "drop", "add", "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem",
        // volumes
        "configMap", "secret", "secretName", "emptyDir", "medium", "sizeLimit", "hostPath", "projected",
        "sources", "serviceAccountToken", "expirationSeconds", "downwardAPI", "items", "mode", "defaultMode",
        "optional", "persistentVolumeClaim", "claimName",
        // Spark and the Spark operator
        "spark-role", "spark-app-name", "spark-app-selector", "spark-exec-id", "spark-exec-resourceprofile-id",
        "spark-version", "sparkoperator.k8s.io/app-name", "sparkoperator.k8s.io/connect-name",
        "sparkoperator.k8s.io/launched-by-spark-operator", "sparkoperator.k8s.io/mutated-by-spark-operator",
        "sparkoperator.k8s.io/submission-id", "kubernetes.io/os", "kubernetes.io/arch",
        "kubectl.kubernetes.io/last-applied-configuration",
    ]

}
