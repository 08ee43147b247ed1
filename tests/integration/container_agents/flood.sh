#!/bin/sh
# Says ready, then prints valid log lines as fast as it can.
echo '{"type":"ready"}'
exec /bin/busybox yes '{"type":"log","level":"debug","text":"flood"}'
