/// The object keys of pods and admission reviews, each made into a String once. Decoding one of
/// them is then a table lookup instead of building a String (and, past 15 bytes, allocating and
/// later freeing one); about a hundred keys are decoded per review.
final class KnownKeys: @unchecked Sendable {
    static let shared = KnownKeys(names)

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

    private static let slotBits = 10
    private static let mask = (1 << slotBits) - 1
    private let keys: [String]
    private let bytes: [UInt8]
    private let offsets: [Int]
    /// Open addressing: index into `keys`, or -1.
    private let slots: [Int16]
    let maxLength: Int

    init(_ names: [String]) {
        precondition(Set(names).count == names.count, "a key listed twice")
        precondition(names.count < (1 << Self.slotBits) / 2, "table too full")
        keys = names
        var bytes: [UInt8] = [], offsets: [Int] = []
        for key in names {
            offsets.append(bytes.count)
            bytes += key.utf8
        }
        offsets.append(bytes.count)
        self.bytes = bytes
        self.offsets = offsets
        maxLength = names.map(\.utf8.count).max() ?? 0
        var slots = [Int16](repeating: -1, count: 1 << Self.slotBits)
        for (i, key) in names.enumerated() {
            var slot = key.utf8.withContiguousStorageIfAvailable { Self.hash($0.baseAddress!, $0.count) }!
            while slots[slot] >= 0 { slot = (slot + 1) & Self.mask }
            slots[slot] = Int16(i)
        }
        self.slots = slots
    }

    /// Length and the first, middle and last bytes: enough to spread these keys, cheap to compute.
    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h = UInt32(truncatingIfNeeded: n) &* 0x9E37_79B1
        h ^= UInt32(p[0]) &* 0x85EB_CA77
        h ^= UInt32(p[n &- 1]) &* 0xC2B2_AE3D
        h ^= UInt32(p[n >> 1]) &* 0x27D4_EB2F
        h ^= h >> 15
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The known key spelled by these bytes, or nil.
    func lookup(_ p: UnsafePointer<UInt8>, count n: Int) -> String? {
        guard n > 0 && n <= maxLength else { return nil }
        var slot = Self.hash(p, n)
        return bytes.withUnsafeBufferPointer { stored in
            while true {
                let k = Int(slots[slot])
                if k < 0 { return nil }
                let start = offsets[k]
                if offsets[k + 1] - start == n && Words.sameBytes(p, stored.baseAddress! + start, n) { return keys[k] }
                slot = (slot + 1) & Self.mask
            }
        }
    }
}
