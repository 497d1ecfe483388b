// The pods a SparkApplication (sparkoperator.k8s.io/v1beta2) becomes, built the way spark-operator
// v2 and Spark 3.5/4.0 build them (Tests/Fixtures/README.md lists what they put where): names,
// Spark's and the operator's labels, Spark's container after a template's others, the
// application's own placement. For `sparkhook preview --spark-application`.
import Admission
import JSON
import Policy
import Webhook

public struct SparkApplication {
    public let name: String
    public let namespace: String?
    let spec: JSON
    /// The executors Spark would start: `spec.executor.instances`, else `spark.executor.instances`
    /// in `sparkConf`, else `spec.dynamicAllocation.maxExecutors`, else Spark's default.
    public let executorCount: Int
    /// `spark.executor.instances`' default in Spark: an application that names no count gets 2.
    public static let sparkDefaultExecutors = 2

    public init(_ document: JSON) throws {
        guard document["kind"]?.stringValue == "SparkApplication" else {
            throw AdmissionError("expected a SparkApplication (sparkoperator.k8s.io/v1beta2), got kind \(document["kind"].map { excerpt($0.text) } ?? "none")")
        }
        guard let name = document["metadata", "name"]?.stringValue, !name.isEmpty else { throw AdmissionError("the SparkApplication has no metadata.name") }
        self.name = name
        namespace = document["metadata", "namespace"]?.stringValue
        spec = document["spec"] ?? [:]
        executorCount = spec["executor", "instances"]?.intValue
            ?? spec["sparkConf", "spark.executor.instances"]?.stringValue.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            ?? spec["dynamicAllocation", "maxExecutors"]?.intValue ?? Self.sparkDefaultExecutors
    }

    /// A stable stand-in for the ids Spark draws at random: the same application previews the same.
    private var appID: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var driver: JSON { pod(role: "driver", id: nil) }

    public func executor(_ id: Int) -> JSON { pod(role: "executor", id: id) }

    private func pod(role: String, id: Int?) -> JSON {
        let part = spec[role] ?? [:]
        let template = part["template"]
        var labels: JSONObject = [
            "spark-app-name": .string(name), "spark-app-selector": .string("spark-" + appID + appID),
            "spark-role": .string(role), "spark-version": .string(spec["sparkVersion"]?.stringValue ?? "3.5.5"),
            "sparkoperator.k8s.io/app-name": .string(name), "sparkoperator.k8s.io/launched-by-spark-operator": "true",
            "sparkoperator.k8s.io/submission-id": .string(appID),
        ]
        if let id {
            labels["spark-exec-id"] = .string(executorIDLabel(id))
            labels["spark-exec-resourceprofile-id"] = "0"
        }
        for source in [template?["metadata", "labels"], spec["labels"], part["labels"]] {
            for entry in source?.objectValue ?? JSONObject() { labels[entry.key] = entry.value }
        }
        var annotations = JSONObject()
        for source in [template?["metadata", "annotations"], part["annotations"]] {
            for entry in source?.objectValue ?? JSONObject() { annotations[entry.key] = entry.value }
        }
        var metadata: JSONObject = ["name": .string(id.map { "\(name)-\(appID)-exec-\($0)" } ?? "\(name)-driver"), "labels": .object(labels)]
        if id != nil, let owner = templateOwner {
            metadata["ownerReferences"] = [["apiVersion": "apps/v1", "kind": .string(owner), "name": .string("spark-d-spark-\(appID)-0"), "controller": true]]
            if owner == "ReplicaSet" { annotations["controller.kubernetes.io/pod-deletion-cost"] = "0" }
        }
        if let namespace { metadata["namespace"] = .string(namespace) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }

        var podSpec = template?["spec"]?.objectValue ?? JSONObject()
        // Spark's container: a template's container of that name is Spark's, else its first; Spark
        // appends its own after the template's others.
        var containers = podSpec["containers"]?.arrayValue ?? []
        let defaultName = role == "driver" ? "spark-kubernetes-driver" : "spark-kubernetes-executor"
        let templateName = spec["sparkConf", "spark.kubernetes.\(role).podTemplateContainerName"]?.stringValue
        var spark = JSONObject()
        if let i = containers.firstIndex(where: { $0["name"]?.stringValue == (templateName ?? defaultName) }) ?? (containers.isEmpty ? nil : 0) {
            spark = containers.remove(at: i).objectValue ?? JSONObject()
        }
        if spark["name"] == nil { spark["name"] = .string(defaultName) }
        spark["image"] = part["image"] ?? spec["image"] ?? spark["image"] ?? "spark:3.5.5"
        if role == "driver" {
            var args: [JSON] = ["driver", "--properties-file", "/opt/spark/conf/spark.properties"]
            if let main = spec["mainClass"] { args += ["--class", main] }
            if let file = spec["mainApplicationFile"] { args.append(file) }
            args += spec["arguments"]?.arrayValue ?? []
            spark["args"] = .array(args)
            spark["ports"] = [["name": "driver-rpc-port", "containerPort": 7078, "protocol": "TCP"],
                              ["name": "blockmanager", "containerPort": 7079, "protocol": "TCP"],
                              ["name": "spark-ui", "containerPort": 4040, "protocol": "TCP"]]
        } else {
            spark["args"] = ["executor"]
            spark["ports"] = [["name": "blockmanager", "containerPort": 7079]]
            spark["env"] = .array((spark["env"]?.arrayValue ?? []) + [["name": "SPARK_EXECUTOR_ID", "value": .string(executorIDLabel(id ?? 1))]])
        }
        if let limits = resourceLimits(role, part, spark["resources"]?["limits"]?.objectValue) {
            var resources = spark["resources"]?.objectValue ?? JSONObject()
            resources["limits"] = .object(limits)
            spark["resources"] = .object(resources)
        }
        containers.append(.object(spark))
        podSpec["containers"] = .array(containers)
        podSpec["restartPolicy"] = "Never"  // Spark restarts neither driver nor executor pods in place
        if let account = part["serviceAccount"] ?? spec["serviceAccount"] { podSpec["serviceAccountName"] = account }
        var selector = podSpec["nodeSelector"]?.objectValue ?? JSONObject()
        for source in [spec["nodeSelector"], part["nodeSelector"]] {
            for entry in source?.objectValue ?? JSONObject() { selector[entry.key] = entry.value }
        }
        if !selector.isEmpty { podSpec["nodeSelector"] = .object(selector) }
        if let tolerations = part["tolerations"]?.arrayValue { podSpec["tolerations"] = .array((podSpec["tolerations"]?.arrayValue ?? []) + tolerations) }
        if let affinity = part["affinity"] { podSpec["affinity"] = affinity }
        if let cls = part["priorityClassName"] ?? spec["batchSchedulerOptions", "priorityClassName"] { podSpec["priorityClassName"] = cls }
        if let scheduler = spec["batchScheduler"]?.stringValue { podSpec["schedulerName"] = .string(scheduler) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(podSpec)]
    }

    /// `spark.kubernetes.allocation.pods.allocator`: with `deployment` (Spark 4.2) or `statefulset`,
    /// Spark writes one pod template for every executor, with the id `EXECID` (the driver gives
    /// the real one when the executor starts), and a ReplicaSet or a StatefulSet creates the pods.
    private var templateOwner: String? {
        switch spec["sparkConf", "spark.kubernetes.allocation.pods.allocator"]?.stringValue {
        case "deployment": return "ReplicaSet"
        case "statefulset": return "StatefulSet"
        default: return nil
        }
    }

    private func executorIDLabel(_ id: Int) -> String { templateOwner == nil ? String(id) : "EXECID" }

    /// The accelerators Spark's container asks for, as the match on `resources` reads them: the
    /// operator's `gpu: {name, quantity}`, and Spark's `spark.ROLE.resource.NAME.amount` with a
    /// `.vendor` (Spark puts `VENDOR/NAME: amount` in the limits). nil when there are none.
    private func resourceLimits(_ role: String, _ part: JSON, _ existing: JSONObject?) -> JSONObject? {
        var limits = existing ?? JSONObject()
        if let name = part["gpu", "name"]?.stringValue, let quantity = part["gpu", "quantity"] {
            limits[name] = .string(quantity.stringValue ?? quantity.text)
        }
        let prefix = "spark.\(role).resource."
        for entry in spec["sparkConf"]?.objectValue ?? JSONObject() where entry.key.hasPrefix(prefix) && entry.key.hasSuffix(".amount") {
            let name = entry.key.dropFirst(prefix.count).dropLast(".amount".count)
            guard let vendor = spec["sparkConf", "\(prefix)\(name).vendor"]?.stringValue, let amount = entry.value.stringValue else { continue }
            limits["\(vendor)/\(name)"] = .string(amount)
        }
        return limits.isEmpty || limits == existing ? nil : limits
    }
}
