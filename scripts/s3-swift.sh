#!/usr/bin/env bash
# Copied from the workplace's tested recipe (shared/scripts/s3-swift.sh); CI and local tests use it.
# A real S3-compatible object store on loopback for tests: OpenStack Swift with its S3 API layer
# (Debian packages). Disk-backed, SigV4-checked, correct multipart ETags.
#
#   s3-swift.sh start   installs the packages if missing, starts on 127.0.0.1:$PORT (default 8089)
#   s3-swift.sh stop    stops the processes started by 'start'
#
# S3 client settings: endpoint http://127.0.0.1:8089, region us-east-1, forcePathStyle true,
# accessKeyId 'hub:admin', secretAccessKey 'HUBSECRETKEY123'. Start takes about 10 s.
# Swift runs on /usr/bin/python3 (Debian's), whatever python3 is first on PATH.
set -euo pipefail
D=${D:-/tmp/swift-s3}; PORT=${PORT:-8089}
case "${1:-}" in
  stop) for f in "$D"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/swift-proxy-server ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    swift-proxy swift-object swift-container swift-account python3-swift >/dev/null
fi
export PATH=/usr/bin:$PATH
rm -rf "$D"; mkdir -p "$D"/{etc,srv/d1,run,log}
printf '[swift-hash]\nswift_hash_path_suffix = hubsuffix\nswift_hash_path_prefix = hubprefix\n[storage-policy:0]\nname = gold\ndefault = yes\n' > $D/etc/swift.conf
cd $D/etc
for x in "object 6200" "container 6201" "account 6202"; do set -- $x
  swift-ring-builder $1.builder create 0 1 1 >/dev/null
  swift-ring-builder $1.builder add r1z1-127.0.0.1:$2/d1 1 >/dev/null
  swift-ring-builder $1.builder rebalance >/dev/null || true
  printf "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = $2\ndevices = $D/srv\nmount_check = false\nswift_dir = $D/etc\nuser = root\nworkers = 1\n[pipeline:main]\npipeline = $1-server\n[app:$1-server]\nuse = egg:swift#$1\n[$1-replicator]\n[$1-updater]\n[$1-auditor]\n" > $1-server.conf
done
cat > proxy-server.conf <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
swift_dir = $D/etc
user = root
workers = 1
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_hub_admin = HUBSECRETKEY123 .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
for s in object container account proxy; do nohup swift-$s-server $D/etc/$s-server.conf > $D/log/$s.log 2>&1 & echo $! > $D/run/$s.pid; done
for i in $(seq 1 60); do curl -sf http://127.0.0.1:$PORT/healthcheck >/dev/null && break; sleep 0.5; done
curl -sf http://127.0.0.1:$PORT/healthcheck >/dev/null || { echo "swift did not start; logs in $D/log" >&2; exit 1; }
echo "S3 endpoint http://127.0.0.1:$PORT ready"
