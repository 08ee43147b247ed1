#!/bin/sh
# Says ready, then closes stdout and keeps running without reading stdin.
echo '{"type":"ready"}'
exec 1>&-
sleep 600
