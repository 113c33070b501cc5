#!/bin/sh
# Fill kannel.conf's @NAME@ placeholders from the environment (the same .env as the product), then run
# bearerbox or smsbox in the foreground. A placeholder left empty stops the container with its name.
set -eu
conf=/tmp/kannel.conf
cp /etc/kannel/kannel.conf.in "$conf"
for name in KANNEL_ADMIN_PASSWORD KANNEL_SENDSMS_USERNAME KANNEL_SENDSMS_PASSWORD KANNEL_CALLBACK_TOKEN; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then echo "kannel: $name is not set" >&2; exit 2; fi
  case "$value" in *[!A-Za-z0-9_.~-]*) echo "kannel: $name may only hold A-Z a-z 0-9 _ . ~ -" >&2; exit 2;; esac
  sed -i "s/@$name@/$value/g" "$conf"
done
case "${1:-bearerbox}" in
  bearerbox) exec bearerbox -v 1 "$conf" ;;
  smsbox) exec smsbox -v 1 "$conf" ;;
  *) exec "$@" ;;
esac
