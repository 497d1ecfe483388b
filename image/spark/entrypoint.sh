#!/bin/bash
# The image's entrypoint, after Spark's kubernetes/dockerfiles/spark/entrypoint.sh, as Spark's
# Kubernetes backend calls it:
#   driver ARGS    the driver pod (spark-submit --deploy-mode cluster made it): runs spark-submit in
#                  client mode with the ARGS and the conf Spark mounted (--properties-file ...),
#                  bound to the pod's IP (SPARK_DRIVER_BIND_ADDRESS, from status.podIP);
#   executor       an executor pod: KubernetesExecutorBackend, told everything by environment
#                  variables (SPARK_DRIVER_URL, SPARK_EXECUTOR_ID, SPARK_EXECUTOR_CORES, ...);
#   anything else  run as given (start-connect-server.sh, a shell).
# tini reaps the JVM's and Python's children and passes signals on (-s: as a subreaper, not PID 1
# when a shell wrapper is).
set -eo pipefail
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
export JAVA_HOME
SPARK_CLASSPATH="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}${SPARK_HOME}/jars/*"
[ -z "$SPARK_EXTRA_CLASSPATH" ] || SPARK_CLASSPATH="$SPARK_CLASSPATH:$SPARK_EXTRA_CLASSPATH"
if [ -n "$SPARK_CONF_DIR" ]; then SPARK_CLASSPATH="$SPARK_CONF_DIR:$SPARK_CLASSPATH"
else SPARK_CLASSPATH="$SPARK_HOME/conf:$SPARK_CLASSPATH"; fi
# SPARK_JAVA_OPT_0, _1, ...: the executor's JVM options, in order.
SPARK_EXECUTOR_JAVA_OPTS=()
while IFS= read -r v; do SPARK_EXECUTOR_JAVA_OPTS+=("${!v}"); done < <(compgen -v SPARK_JAVA_OPT_ | sort -t_ -k4 -n)

case "$1" in
  driver)
    shift
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    exec /usr/bin/tini -s -- "$JAVA_HOME/bin/java" "${SPARK_EXECUTOR_JAVA_OPTS[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$SPARK_CLASSPATH${SPARK_DIST_CLASSPATH:+:$SPARK_DIST_CLASSPATH}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec /usr/bin/tini -s -- "$@"
    ;;
esac
