#!/bin/sh
# Ignores the shutdown line, the end of stdin and SIGTERM, so that only
# SIGKILL ends it.
trap '' TERM
echo '{"type":"ready"}'
while IFS= read -r line; do
  :
done
while :; do
  sleep 1
done
