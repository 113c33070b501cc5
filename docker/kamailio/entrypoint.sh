#!/bin/sh
# Start Kamailio in the foreground; advertise the public address (SIP_EXTERNAL_IP, SIP_INGRESS_PORT) when set.
set -eu
set -- -DD -E -f /etc/kamailio/kamailio.cfg
if [ -n "${SIP_EXTERNAL_IP:-}" ]; then
  port="${SIP_INGRESS_PORT:-5060}"
  printf 'listen=udp:0.0.0.0:5060 advertise %s:%s\nlisten=tcp:0.0.0.0:5060 advertise %s:%s\n' \
    "$SIP_EXTERNAL_IP" "$port" "$SIP_EXTERNAL_IP" "$port" > /etc/kamailio/listen-advertise.cfg
  set -- "$@" -A WITH_ADVERTISE
fi
exec kamailio "$@"
