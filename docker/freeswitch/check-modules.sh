#!/bin/sh
# Fail (naming them) when a module that modules.conf.xml loads is not installed, so an image that cannot
# load our configuration never gets built. Usage: check-modules.sh MODULES_CONF_XML MODULE_DIR
set -eu
conf="$1"; moddir="$2"
missing=""
for module in $(sed -n 's/.*<load module="\([a-z0-9_]*\)".*/\1/p' "$conf"); do
  [ -f "$moddir/$module.so" ] || missing="$missing $module"
done
if [ -n "$missing" ]; then
  echo "FreeSWITCH modules missing from $moddir:$missing" >&2
  exit 1
fi
echo "all $(grep -c '<load module=' "$conf") modules of $(basename "$conf") are installed"
