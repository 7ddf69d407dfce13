#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the jars pyspark ships: a
# master, two workers (separate JVMs, one core each) and a Thrift server
# (HiveThriftServer2) whose executors run on the workers. Everything listens
# on 127.0.0.1 only. docs/spark.md says why each server setting is there.
#
#   spark/cluster.sh run CMD [ARG...]  start, run CMD with FEED_SPARK_THRIFT_* and
#                                      FEED_SPARK_DRIVER_UI set, stop (also on failure)
#   spark/cluster.sh start             start and leave it running (stopped on failure)
#   spark/cluster.sh stop              stop what `start` left running
#
# Environment (defaults in brackets):
#   FEED_SPARK_CLUSTER_DIR  the cluster's state: logs, PID files, Derby metastore,
#                           warehouse, worker dirs [data/spark-cluster]
#   SPARK_HOME              [the pyspark package of .venv's python]
#   FEED_SPARK_MASTER_PORT [7177]  FEED_SPARK_THRIFT_PORT [10001]  FEED_SPARK_UI_PORT [4141]
#   FEED_SPARK_WORKER_MEMORY [2g]  FEED_SPARK_EXECUTOR_MEMORY [1g]  FEED_SPARK_DRIVER_MEMORY [2g]
#   FEED_SPARK_SHUFFLE_PARTITIONS [4]  FEED_SPARK_CLUSTER_TIMEOUT [120] (seconds per process)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
state=${FEED_SPARK_CLUSTER_DIR:-$here/data/spark-cluster}
mkdir -p "$state"
state=$(cd "$state" && pwd)
if [ -z "${SPARK_HOME:-}" ]; then
	SPARK_HOME=$("$here/.venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
fi
export SPARK_HOME
host=127.0.0.1
master_port=${FEED_SPARK_MASTER_PORT:-7177}
thrift_port=${FEED_SPARK_THRIFT_PORT:-10001}
ui_port=${FEED_SPARK_UI_PORT:-4141}
timeout=${FEED_SPARK_CLUSTER_TIMEOUT:-120}
master_url=spark://$host:$master_port

# Every JVM binds to the loopback interface (web UIs too), reads no conf folder
# but the cluster's own, and keeps its scratch space under the state folder.
export SPARK_LOCAL_IP=$host
export SPARK_CONF_DIR=$state/conf
export SPARK_DAEMON_MEMORY=512m
mkdir -p "$SPARK_CONF_DIR" "$state/logs" "$state/pids"

log() { echo "cluster.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

# wait_for NAME LOG PATTERN [PORT]: until LOG has PATTERN (and PORT accepts a
# connection, when given); fail with the log's tail if the process dies or the
# timeout passes.
wait_for() {
	local name=$1 file=$2 pattern=$3 port=${4:-} pid waited=0
	pid=$(cat "$state/pids/$name.pid")
	until grep -qE "$pattern" "$file" 2>/dev/null && { [ -z "$port" ] || port_open "$port"; }; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "$name (pid $pid) exited before it was ready; the end of $file:"
			tail -n 40 "$file" >&2 || true
			return 1
		fi
		if [ "$waited" -ge "$timeout" ]; then
			log "$name not ready after ${timeout}s (waiting for /$pattern/${port:+ and port $port}); the end of $file:"
			tail -n 40 "$file" >&2 || true
			return 1
		fi
		sleep 1
		waited=$((waited + 1))
	done
	log "$name ready after ${waited}s (log: $file)"
}

# launch NAME CMD...: start CMD in the background, its output to logs/NAME.log,
# its PID to pids/NAME.pid (spark-class and spark-submit exec the JVM, so the
# PID is the JVM's).
launch() {
	local name=$1
	shift
	"$@" >"$state/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$state/pids/$name.pid"
}

# stop_one NAME: TERM, then KILL after 30 s, the process of pids/NAME.pid and,
# for a worker, the executor JVMs it launched (its children).
stop_one() {
	local name=$1 file=$state/pids/$1.pid pid children waited=0
	[ -f "$file" ] || return 0
	pid=$(cat "$file")
	if kill -0 "$pid" 2>/dev/null; then
		children=$(pgrep -P "$pid" || true)
		kill -TERM "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
			sleep 1
			waited=$((waited + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
		for child in $children; do
			kill -KILL "$child" 2>/dev/null || true
		done
	fi
	rm -f "$file"
}

stop_all() {
	local name
	for name in thrift worker-2 worker-1 master; do
		stop_one "$name"
	done
}

check_ports_free() {
	local port
	for port in "$master_port" "$thrift_port" "$ui_port"; do
		if port_open "$port"; then
			log "port $port on $host is already in use (another cluster?); set FEED_SPARK_*_PORT"
			return 1
		fi
	done
}

start_all() {
	if ls "$state"/pids/*.pid >/dev/null 2>&1; then
		log "$state/pids holds PID files: a cluster is running there (spark/cluster.sh stop)"
		return 1
	fi
	check_ports_free
	local class=$SPARK_HOME/bin/spark-class i
	launch master "$class" org.apache.spark.deploy.master.Master \
		--host "$host" --port "$master_port" --webui-port 0
	wait_for master "$state/logs/master.log" "I have been elected leader"
	for i in 1 2; do
		mkdir -p "$state/worker-$i/local"
		SPARK_LOCAL_DIRS=$state/worker-$i/local launch "worker-$i" "$class" \
			org.apache.spark.deploy.worker.Worker --host "$host" --webui-port 0 \
			--cores 1 --memory "${FEED_SPARK_WORKER_MEMORY:-2g}" \
			--work-dir "$state/worker-$i/work" "$master_url"
	done
	for i in 1 2; do
		wait_for "worker-$i" "$state/logs/worker-$i.log" "Successfully registered with master"
	done
	local java_options="-Duser.timezone=UTC -Dderby.system.home=$state"
	launch thrift "$SPARK_HOME/bin/spark-submit" \
		--class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
		--master "$master_url" \
		--name feed-thrift-server \
		--driver-memory "${FEED_SPARK_DRIVER_MEMORY:-2g}" \
		--conf spark.driver.host="$host" \
		--conf spark.driver.bindAddress="$host" \
		--conf spark.ui.port="$ui_port" \
		--conf spark.driver.extraJavaOptions="$java_options" \
		--conf spark.executor.extraJavaOptions="-Duser.timezone=UTC" \
		--conf spark.executor.memory="${FEED_SPARK_EXECUTOR_MEMORY:-1g}" \
		--conf spark.executor.cores=1 \
		--conf spark.cores.max=2 \
		--conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
		--conf spark.scheduler.maxRegisteredResourcesWaitingTime=60s \
		--conf spark.sql.session.timeZone=UTC \
		--conf spark.sql.warehouse.dir="$state/warehouse" \
		--conf spark.hadoop.javax.jdo.option.ConnectionURL="jdbc:derby:;databaseName=$state/metastore_db;create=true" \
		--conf spark.sql.shuffle.partitions="${FEED_SPARK_SHUFFLE_PARTITIONS:-4}" \
		--hiveconf hive.server2.thrift.bind.host="$host" \
		--hiveconf hive.server2.thrift.port="$thrift_port"
	wait_for thrift "$state/logs/thrift.log" "HiveThriftServer2 started" "$thrift_port"
	log "Thrift server on $host:$thrift_port, driver UI http://$host:$ui_port, state in $state"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
run)
	[ $# -gt 0 ] || { log "run needs a command"; exit 2; }
	trap stop_all EXIT
	start_all
	status=0
	FEED_SPARK_THRIFT_HOST=$host FEED_SPARK_THRIFT_PORT=$thrift_port \
		FEED_SPARK_DRIVER_UI=http://$host:$ui_port FEED_SPARK_CLUSTER_DIR=$state \
		"$@" || status=$?
	exit "$status"
	;;
start)
	trap 'status=$?; [ "$status" -eq 0 ] || stop_all' EXIT
	start_all
	;;
stop)
	stop_all
	;;
*)
	log "usage: spark/cluster.sh run CMD [ARG...] | start | stop"
	exit 2
	;;
esac
