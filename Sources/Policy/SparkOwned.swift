// What Spark puts on its own container and pod for its wiring (found in apache/spark's
// resource-managers/kubernetes features: BasicDriverFeatureStep, BasicExecutorFeatureStep,
// LocalDirsFeatureStep, DriverCommandFeatureStep, PodTemplateConfigMapStep, and the submission
// client's conf volume): a rule may not set these, under any `override`.

import JSON
import YAML

enum SparkOwned {
    /// Environment Spark's entrypoint and executors read to find each other and their files.
    static let envNames: Set<String> = [
        "SPARK_DRIVER_BIND_ADDRESS", "SPARK_DRIVER_URL", "SPARK_EXECUTOR_ID", "SPARK_EXECUTOR_CORES", "SPARK_EXECUTOR_MEMORY",
        "SPARK_APPLICATION_ID", "SPARK_CONF_DIR", "SPARK_RESOURCE_PROFILE_ID", "SPARK_EXECUTOR_POD_IP", "SPARK_EXECUTOR_POD_NAME",
        "SPARK_LOCAL_DIRS", "SPARK_CLASSPATH", "SPARK_EXECUTOR_DIRS", "_SPARK_AUTH_SECRET",
    ]
    /// `SPARK_JAVA_OPT_0`, `_1`, ...: the executor's JVM options, numbered by Spark.
    static let envPrefix = "SPARK_JAVA_OPT_"
    /// The ConfigMap volumes holding spark.properties (and the executor pod template).
    static let volumeNames: Set<String> = ["spark-conf-volume-driver", "spark-conf-volume-exec", "pod-template-volume"]
    /// Where spark.properties is mounted (SPARK_CONF_DIR).
    static let mountPaths: Set<String> = ["/opt/spark/conf"]

    static func isOwned(env name: String) -> Bool { envNames.contains(name) || name.hasPrefix(envPrefix) }

    static func env(_ t: Typed, _ d: Diagnostics) {
        for item in t.items {
            if let n = item["name"], let name = n.string, isOwned(env: name) {
                d.error(n.node, "env \(name) is Spark's own wiring (\(envSummary)): a rule may not set it")
            }
        }
    }

    static func volumes(_ t: Typed, _ d: Diagnostics) {
        for item in t.items {
            if let n = item["name"], let name = n.string, volumeNames.contains(name) {
                d.error(n.node, "volume \(name) holds Spark's configuration: a rule may not set it")
            }
        }
    }

    static func volumeMounts(_ t: Typed, _ d: Diagnostics) {
        for item in t.items {
            if let p = item["mountPath"], let path = p.string, mountPaths.contains(path) {
                d.error(p.node, "mountPath \(path) is Spark's configuration directory: a rule may not mount there")
            }
            if let n = item["name"], let name = n.string, volumeNames.contains(name) {
                d.error(n.node, "volume \(name) holds Spark's configuration: a rule may not mount it")
            }
        }
    }

    static let envSummary = "SPARK_DRIVER_BIND_ADDRESS, SPARK_DRIVER_URL, SPARK_EXECUTOR_*, SPARK_APPLICATION_ID, SPARK_CONF_DIR, SPARK_LOCAL_DIRS, SPARK_JAVA_OPT_*, ..."
}
