#!/bin/sh
# Start Kamailio in the foreground on SIP_INGRESS_PORT, the same port inside the container as published:
# behind NAT it advertises SIP_EXTERNAL_IP:SIP_INGRESS_PORT in its Via, and the nodes' responses come back to
# that port (at the address the Via was received from), so the two must agree.
set -eu
port="${SIP_INGRESS_PORT:-5060}"
# The ctl module's control socket lives in the runtime dir, which no init system creates in a container.
mkdir -p /run/kamailio
set -- -DD -E -Y /run/kamailio -f /etc/kamailio/kamailio.cfg -A "SIP_PORT=$port"
if [ -n "${SIP_EXTERNAL_IP:-}" ]; then
  printf 'listen=udp:0.0.0.0:%s advertise %s:%s\nlisten=tcp:0.0.0.0:%s advertise %s:%s\n' \
    "$port" "$SIP_EXTERNAL_IP" "$port" "$port" "$SIP_EXTERNAL_IP" "$port" > /etc/kamailio/listen-advertise.cfg
  set -- "$@" -A WITH_ADVERTISE
fi
exec kamailio "$@"
