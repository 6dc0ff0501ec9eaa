#!/usr/bin/env bash
# Throwaway single-node Ceph (one mon + one memstore OSD) with a RADOS Gateway (real S3 API) on
# 127.0.0.1:7480, for the storage tests. Run as root. Recipe: shared/docs/reference/deps.md §4.
#   CEPH_DIR        working folder (default /tmp/saeh-ceph); wiped at start
#   CEPH_MEM_BYTES  memstore capacity (default 6 GiB: a 2 GB test object, its multipart parts, margin)
#   S3_ACCESS_KEY / S3_SECRET_KEY  credentials of the S3 user created (default testaccess/testsecret)
set -euo pipefail
C=${CEPH_DIR:-/tmp/saeh-ceph}
MEM=${CEPH_MEM_BYTES:-6442450944}
ACCESS=${S3_ACCESS_KEY:-testaccess}
SECRET=${S3_SECRET_KEY:-testsecret}

if [ -d "$C" ]; then
  for f in "$C"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  rm -rf "$C"
fi
mkdir -p "$C"/{run,log,mon.a,osd.0}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$C/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms bind ipv4 = true
# with auth = none the daemons still default to "secure" mode, which needs cephx: allow crc
ms mon client mode = crc secure
ms client mode = crc secure
ms cluster mode = crc secure
ms service mode = crc secure
ms mon service mode = crc secure
ms mon cluster mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
run dir = $C/run
pid file = $C/run/\$name.pid
admin socket = $C/run/\$name.asok
log file = $C/log/\$name.log
keyring = $C/keyring
[mon]
mon data = $C/mon.\$id
[osd]
osd data = $C/osd.\$id
osd objectstore = memstore
memstore device bytes = $MEM
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:7480
rgw dns name = localhost
CONF
export CEPH_CONF=$C/ceph.conf
ceph-authtool --create-keyring "$C/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$C/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --addv a '[v2:127.0.0.1:3300]' --fsid "$FSID" "$C/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$C/monmap" --keyring "$C/keyring"
ceph-mon -i a
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ID=$(timeout 60 ceph osd new "$OSD_UUID")
ceph-osd -i "$ID" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -i "$ID"
radosgw -n client.rgw.a
ready=0
for _ in $(seq 1 120); do
  if curl -s -o /dev/null http://127.0.0.1:7480/; then ready=1; break; fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  echo "ceph-up: RGW did not answer on 127.0.0.1:7480 within 120 s; logs in $C/log" >&2
  exit 1
fi
timeout 120 radosgw-admin user create --uid=test --display-name=test \
  --access-key="$ACCESS" --secret-key="$SECRET" >/dev/null
echo "ceph-up: RGW ready on http://127.0.0.1:7480 (memstore $((MEM / 1048576)) MiB, folder $C)"
